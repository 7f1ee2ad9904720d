import type { z } from "zod";
import type { FieldPath } from "./locate.js";

/**
 * Turns zod's issues into messages a person can act on, each with its field path. Schema fields
 * carry their own messages ("expected an integer ≥ 0"); this map covers what is generic: wrong
 * types, missing fields and unknown keys (with the nearest known key as a suggestion).
 */

export interface EnvironmentIssue {
  readonly path: FieldPath;
  readonly message: string;
}

function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "string")
    return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  if (typeof value === "number") return `the number ${value}`;
  if (typeof value === "object") return "an object";
  return typeof value;
}

const ARTICLE: Readonly<Record<string, string>> = {
  string: "a string",
  number: "a number",
  int: "an integer",
  boolean: "true or false",
  object: "an object",
  array: "a list",
};

/** Per-parse error map: used where the schema gives no message of its own. */
export const environmentErrorMap: z.core.$ZodErrorMap = (issue) => {
  if (issue.code === "invalid_type") {
    if (issue.input === undefined) return "required field is missing";
    return `expected ${ARTICLE[issue.expected] ?? issue.expected}, got ${describeValue(issue.input)}`;
  }
  if (issue.code === "invalid_value" && "values" in issue) {
    return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}, got ${describeValue(issue.input)}`;
  }
  return undefined;
};

/** Edit distance, for "did you mean" on unknown keys (short strings, so the simple table is fine). */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(
        row[j]! + 1,
        row[j - 1]! + 1,
        previous + (a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1),
      );
      previous = current;
    }
  }
  return row[b.length]!;
}

function suggestion(key: string, known: readonly string[]): string {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of known) {
    const d = distance(key, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(key.length / 3))
    ? ` (did you mean "${best}"?)`
    : "";
}

/** Known keys of the strict object at `path` in the schema, for suggestions. */
function knownKeysAt(schema: z.ZodType, path: FieldPath): string[] {
  let current: unknown = schema;
  for (const segment of path) {
    current = unwrapSchema(current);
    const def = (current as { def?: Record<string, unknown> }).def;
    if (!def) return [];
    if (def.type === "object") current = (def.shape as Record<string, unknown>)[String(segment)];
    else if (def.type === "record") current = def.valueType;
    else if (def.type === "array") current = def.element;
    else return [];
  }
  const def = (unwrapSchema(current) as { def?: { type?: string; shape?: Record<string, unknown> } }).def;
  return def?.type === "object" && def.shape ? Object.keys(def.shape) : [];
}

function unwrapSchema(schema: unknown): unknown {
  let current = schema;
  for (let i = 0; i < 10; i++) {
    const def = (current as { def?: { type?: string; innerType?: unknown } }).def;
    if (
      def &&
      (def.type === "default" ||
        def.type === "optional" ||
        def.type === "prefault" ||
        def.type === "nullable")
    ) {
      current = def.innerType;
    } else break;
  }
  return current;
}

/** One issue per problem, unknown keys split per key so each gets its own location. */
export function environmentIssues(schema: z.ZodType, error: z.ZodError): EnvironmentIssue[] {
  const issues: EnvironmentIssue[] = [];
  for (const issue of error.issues) {
    const path = issue.path.filter((p): p is string | number => typeof p !== "symbol");
    if (issue.code === "unrecognized_keys") {
      const known = knownKeysAt(schema, path);
      for (const key of issue.keys) {
        issues.push({ path: [...path, key], message: `unknown field "${key}"${suggestion(key, known)}` });
      }
      continue;
    }
    issues.push({ path, message: issue.message });
  }
  return issues;
}

/** `agents.count`, `ssh.authorizedKeys.0`, `nodes["odd.key"]`; `(root)` for the whole value. */
export function formatFieldPath(path: FieldPath): string {
  if (path.length === 0) return "(root)";
  return path
    .map((segment, index) => {
      if (typeof segment === "number") return index === 0 ? String(segment) : `.${segment}`;
      if (/^[A-Za-z_$][\w$-]*$/.test(segment)) return index === 0 ? segment : `.${segment}`;
      return `[${JSON.stringify(segment)}]`;
    })
    .join("");
}
