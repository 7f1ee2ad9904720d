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
