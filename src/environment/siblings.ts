import { readdir } from "node:fs/promises";
import { extname, join, relative, resolve } from "node:path";
import type { SiblingEnvironment } from "../plan/plan.js";
import { loadEnvironmentValue } from "./load.js";
import { EnvironmentSchema } from "./schema.js";

/**
 * The other environments in a directory (normally `environments/`), validated against the
 * schema only, to check that networks and prefixes do not clash (see planCluster's `siblings`).
 * A sibling that does not load or validate is skipped: it is reported when it is used itself.
 */
export async function loadSiblingEnvironments(
  directory: string,
  options: { readonly exclude: string; readonly cwd: string },
): Promise<SiblingEnvironment[]> {
  let entries: string[];
  try {
    entries = (await readdir(directory)).sort();
  } catch {
    return [];
  }
  const siblings: SiblingEnvironment[] = [];
  for (const entry of entries) {
    const absolute = resolve(directory, entry);
    if (absolute === resolve(options.exclude) || entry.endsWith(".d.ts")) continue;
    if (![".ts", ".mts", ".js", ".mjs", ".json"].includes(extname(entry))) continue;
    try {
      const value = await loadEnvironmentValue(absolute, entry);
      const parsed = EnvironmentSchema.safeParse(value);
      if (parsed.success)
        siblings.push({ file: relative(options.cwd, join(directory, entry)), environment: parsed.data });
    } catch {
      // Skipped on purpose, see above.
    }
  }
  return siblings;
}
