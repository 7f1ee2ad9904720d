import type { EnvironmentInput } from "./schema.js";

/**
 * Optional typed helper for environment files: `export default defineEnvironment({ … })` gives
 * completion and type errors in an editor. It returns its argument unchanged; a plain object
 * (`export default { … }`, optionally `satisfies EnvironmentInput`) works just as well.
 */
export function defineEnvironment<const T extends EnvironmentInput>(environment: T): T {
  return environment;
}
