/**
 * Typed reading of parsed JSON with JSON paths in every complaint. Decoding throws `DecodeFailure`
 * from here and `decodeIgnition` turns it into an `IgnitionDecodeError` result: nothing else is
 * ever thrown out of the decoder.
 */

export type IgnitionDecodeErrorKind =
  /** The text is not JSON, or a merged config's decoded text is not. */
  | "invalid-json"
  /** `ignition.version` is missing or not 3.0.0–3.5.0. */
  | "unsupported-version"
  /** A field has the wrong type, a required field is missing, or a key appears twice. */
  | "invalid-field"
  /** A `data:` URL, its base64 or its gzip cannot be decoded. */
  | "invalid-contents"
  /** Merged configs nest deeper than `MAX_MERGE_DEPTH`. */
  | "too-deep";

export interface IgnitionDecodeError {
  readonly kind: IgnitionDecodeErrorKind;
  /**
   * Where: a JSON path such as `$.storage.files[2].contents.source`. Inside a merged config the
   * paths are chained: `$.ignition.config.merge[0] → $.storage.files[0].mode`.
   */
  readonly path: string;
  /** What is wrong, in one sentence. */
  readonly message: string;
}

export class DecodeFailure {
  constructor(readonly error: IgnitionDecodeError) {}
}

export type JsonObject = Readonly<Record<string, unknown>>;

export function fail(kind: IgnitionDecodeErrorKind, path: string, message: string): never {
  throw new DecodeFailure({ kind, path, message });
}

/** The kind of a JSON value, never the value: a config's values may be secrets. */
function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "an object";
  return `a ${typeof value}`;
}

export function asObject(value: unknown, path: string): JsonObject {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    fail("invalid-field", path, `${path} must be an object, not ${describe(value)}`);
  }
  return value as JsonObject;
}

/** A field that may be absent or null (Go's nil pointer: unset). */
function field(object: JsonObject, key: string): unknown {
  const value = Object.hasOwn(object, key) ? object[key] : undefined;
  return value === null ? undefined : value;
}

export function optObject(object: JsonObject, key: string, path: string): JsonObject | undefined {
  const value = field(object, key);
  return value === undefined ? undefined : asObject(value, `${path}.${key}`);
}

export function optString(object: JsonObject, key: string, path: string): string | undefined {
  const value = field(object, key);
  if (value === undefined || typeof value === "string") return value;
  return fail("invalid-field", `${path}.${key}`, `${path}.${key} must be a string, not ${describe(value)}`);
}

export function reqString(object: JsonObject, key: string, path: string): string {
  const value = optString(object, key, path);
  if (value === undefined) fail("invalid-field", `${path}.${key}`, `${path}.${key} is required`);
  return value;
}

export function optBoolean(object: JsonObject, key: string, path: string): boolean | undefined {
  const value = field(object, key);
  if (value === undefined || typeof value === "boolean") return value;
  return fail(
    "invalid-field",
    `${path}.${key}`,
    `${path}.${key} must be true or false, not ${describe(value)}`,
  );
}

export function optInteger(object: JsonObject, key: string, path: string): number | undefined {
  const value = field(object, key);
  if (value === undefined || (typeof value === "number" && Number.isInteger(value))) return value;
  return fail("invalid-field", `${path}.${key}`, `${path}.${key} must be an integer, not ${describe(value)}`);
}

export function optList(object: JsonObject, key: string, path: string): readonly unknown[] {
  const value = field(object, key);
  if (value === undefined) return [];
  if (Array.isArray(value)) return value;
  return fail("invalid-field", `${path}.${key}`, `${path}.${key} must be a list, not ${describe(value)}`);
}

export function stringList(object: JsonObject, key: string, path: string): string[] {
  return optList(object, key, path).map((item, index) => {
    if (typeof item === "string") return item;
    return fail(
      "invalid-field",
      `${path}.${key}[${index}]`,
      `${path}.${key}[${index}] must be a string, not ${describe(item)}`,
    );
  });
}

/** JSON with object keys sorted, so equal values compare equal as text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (typeof value === "object" && value !== null) {
    const entries = Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as JsonObject)[key])}`);
    return `{${entries.join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/** The object without its undefined properties (so a spread never unsets a field). */
export function definedFields<T extends object>(value: T): T {
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) if (item !== undefined) out[key] = item;
  return out as T;
}
