/**
 * The shape of an Ignition config version as its Go types declare it: field order (which is
 * the JSON key order the reference prints), JSON names, pointer and `omitempty` semantics,
 * and the keys Ignition uses to find duplicate list entries.
 */
export type JsonType = JsonScalar | JsonStruct | JsonList;

export interface JsonScalar {
  readonly kind: "string" | "int" | "bool";
}

export interface JsonStruct {
  readonly kind: "struct";
  readonly name: string;
  readonly fields: readonly JsonField[];
  /** Ignition's `Key()` for entries of this type in a list; undefined: not keyed. */
  readonly key?: (value: IgnObject) => string;
}

export interface JsonList {
  readonly kind: "list";
  readonly of: JsonType;
}

export interface JsonField {
  readonly name: string;
  readonly type: JsonType;
  /** Go pointer: omitted when nil, printed even when it points at a zero value. */
  readonly pointer: boolean;
  readonly omitempty: boolean;
  /** Lists that share a duplicate namespace (`MergedKeys`), e.g. files/directories/links. */
  readonly dupGroup?: string;
  /** Lists whose duplicates Ignition tolerates (`IgnoreDuplicates`). */
  readonly ignoreDups?: boolean;
}

export type IgnValue = string | number | boolean | IgnObject | IgnValue[] | undefined;
export interface IgnObject {
  [key: string]: IgnValue;
}

export const S: JsonScalar = { kind: "string" };
export const I: JsonScalar = { kind: "int" };
export const B: JsonScalar = { kind: "bool" };

/** A pointer field (`*T`, always `omitempty` in Ignition's types). */
export function p(name: string, type: JsonType): JsonField {
  return { name, type, pointer: true, omitempty: true };
}

/** A value field with `omitempty`. */
export function o(name: string, type: JsonType, extra: Partial<JsonField> = {}): JsonField {
  return { name, type, pointer: false, omitempty: true, ...extra };
}

/** A required value field, printed even when zero. */
export function r(name: string, type: JsonType): JsonField {
  return { name, type, pointer: false, omitempty: false };
}

export function l(of: JsonType): JsonList {
  return { kind: "list", of };
}

export function st(
  name: string,
  fields: readonly JsonField[],
  key?: (value: IgnObject) => string,
): JsonStruct {
  return key ? { kind: "struct", name, fields, key } : { kind: "struct", name, fields };
}

/** Replaces or inserts fields of a struct type, keeping the Go declaration order. */
export function withFields(
  base: JsonStruct,
  changes: { after?: string; add?: JsonField[]; replace?: JsonField[] },
): JsonStruct {
  let fields = base.fields.map((f) => changes.replace?.find((c) => c.name === f.name) ?? f);
  if (changes.add) {
    const at =
      changes.after === undefined ? fields.length : fields.findIndex((f) => f.name === changes.after) + 1;
    fields = [...fields.slice(0, at), ...changes.add, ...fields.slice(at)];
  }
  return { ...base, fields };
}

export function fieldOf(type: JsonStruct, name: string): JsonField | undefined {
  return type.fields.find((f) => f.name === name);
}
