/**
 * Describes a Butane spec's YAML schema the way the reference's Go structs do: field order,
 * YAML key, Go type. The decoder and the unused-key check are driven by it, so a new spec
 * version is a new description, not new code.
 */
export type TypeSpec = ScalarSpec | StructSpec | ListSpec;

export interface ScalarSpec {
  readonly kind: "string" | "int" | "bool";
  /** Go type name, only used in unmarshal error messages (e.g. `v0_4_exp.SSHAuthorizedKey`). */
  readonly goName?: string;
}

export interface StructSpec {
  readonly kind: "struct";
  readonly goName: string;
  readonly fields: readonly FieldSpec[];
}

export interface ListSpec {
  readonly kind: "list";
  readonly of: TypeSpec;
}

export interface FieldSpec {
  readonly key: string;
  readonly type: TypeSpec;
  /** A Go pointer field: null leaves it unset (nil) rather than zero. */
  readonly pointer?: boolean;
}

export const STRING: ScalarSpec = { kind: "string" };
export const INT: ScalarSpec = { kind: "int" };
export const BOOL: ScalarSpec = { kind: "bool" };

export function list(of: TypeSpec): ListSpec {
  return { kind: "list", of };
}

export function named(kind: ScalarSpec["kind"], goName: string): ScalarSpec {
  return { kind, goName };
}

export function struct(goName: string, fields: readonly FieldSpec[]): StructSpec {
  return { kind: "struct", goName, fields };
}

export function field(key: string, type: TypeSpec, pointer = false): FieldSpec {
  return { key, type, pointer };
}

export function ptr(key: string, type: TypeSpec): FieldSpec {
  return { key, type, pointer: true };
}

/** A copy of `base` with fields added (after `after`, or at the end) and types renamed to `pkg`. */
export function extendStruct(base: StructSpec, extra: readonly FieldSpec[], after?: string): StructSpec {
  const fields = [...base.fields];
  const at = after === undefined ? fields.length : fields.findIndex((f) => f.key === after) + 1;
  fields.splice(at, 0, ...extra);
  return { ...base, fields };
}

export function goTypeName(type: TypeSpec): string {
  if (type.kind === "list") return `[]${goTypeName(type.of)}`;
  return type.goName ?? type.kind;
}

/**
 * A copy of a schema with every Go type name moved to package `pkg` (`v0_4.Resource` becomes
 * `v0_5.Resource`): each Butane base version declares its own types, and go-yaml names them
 * in its type errors.
 */
export function withPackage(spec: StructSpec, pkg: string): StructSpec {
  const done = new Map<TypeSpec, TypeSpec>();
  const rename = (name: string): string => `${pkg}.${name.slice(name.lastIndexOf(".") + 1)}`;
  const go = (type: TypeSpec): TypeSpec => {
    const seen = done.get(type);
    if (seen) return seen;
    let out: TypeSpec;
    if (type.kind === "struct") {
      out = {
        kind: "struct",
        goName: rename(type.goName),
        fields: type.fields.map((f) => ({ ...f, type: go(f.type) })),
      };
    } else if (type.kind === "list") {
      out = { kind: "list", of: go(type.of) };
    } else {
      out = type.goName === undefined ? type : { kind: type.kind, goName: rename(type.goName) };
    }
    done.set(type, out);
    return out;
  };
  return go(spec) as StructSpec;
}

/** The struct named `name` (without package) anywhere in a schema. */
export function findStruct(spec: StructSpec, name: string): StructSpec | undefined {
  const seen = new Set<TypeSpec>();
  const go = (type: TypeSpec): StructSpec | undefined => {
    if (seen.has(type)) return undefined;
    seen.add(type);
    if (type.kind === "list") return go(type.of);
    if (type.kind !== "struct") return undefined;
    if (type.goName.slice(type.goName.lastIndexOf(".") + 1) === name) return type;
    for (const f of type.fields) {
      const found = go(f.type);
      if (found) return found;
    }
    return undefined;
  };
  return go(spec);
}
