import { z } from "zod";
import { EnvironmentSchema } from "./schema.js";

/** Where the generated JSON Schema is committed, relative to the repository root. */
export const ENVIRONMENT_JSON_SCHEMA_PATH = "schema/environment.schema.json";

/**
 * The JSON Schema of an environment file as written by hand (input side: fields with defaults
 * are optional), for editors: JSON environments point `$schema` at it, and TypeScript ones get
 * the same information from `EnvironmentInput`. Generated from the zod schema, never edited.
 */
export function environmentJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(EnvironmentSchema, { io: "input", unrepresentable: "any" }) as Record<
    string,
    unknown
  >;
  return { ...schema, title: "homelab environment" };
}

/** The file contents: stable key order, two-space indentation, trailing newline. */
export function environmentJsonSchemaText(): string {
  return `${JSON.stringify(environmentJsonSchema(), null, 2)}\n`;
}
