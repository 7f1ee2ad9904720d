import type { z } from "zod";
import { formatDataPath } from "./evaluate/plain-data.js";
import type { FieldPath } from "./locate.js";
import { didYouMean } from "./suggest.js";

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
  if (Array.isArray(value)) return value.length === 0 ? "an empty list" : `a list of ${value.length}`;
  if (typeof value === "string")
    return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  if (typeof value === "number") return `the number ${value}`;
  if (typeof value === "boolean") return String(value);
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
        const shown = key.length > 60 ? `${key.slice(0, 60)}…` : key;
        issues.push({
          path: [...path, key],
          message: `unknown field ${JSON.stringify(shown)}${didYouMean(key, known)}`,
        });
      }
      continue;
    }
    issues.push({ path, message: withInput(issue) });
  }
  return issues;
}

/**
 * "expected an integer ≥ 1" alone does not say that `"2"` (a string) was written: every message
 * says what was given, when the parse was asked to report inputs (`reportInput: true`).
 */
function withInput(issue: z.core.$ZodIssue): string {
  if (!("input" in issue) || issue.input === undefined || issue.message.includes(", got "))
    return issue.message;
  return `${issue.message}, got ${describeValue(issue.input)}`;
}

/** `agents.count`, `ssh.authorizedKeys.0`, `nodes["odd.key"]`; `(root)` for the whole value. */
export function formatFieldPath(path: FieldPath): string {
  return formatDataPath(path);
}
