import { readdir } from "node:fs/promises";
import { extname, isAbsolute, join, relative, resolve } from "node:path";
import type { SiblingEnvironment } from "../plan/plan.js";
import type { PlanWarning } from "../plan/types.js";
import { type EvaluationLimits, evaluateEnvironmentFiles, type FileEvaluation } from "./evaluate/evaluate.js";
import { EnvironmentSchema } from "./schema.js";

/**
 * The other environments in a directory (normally `environments/`), validated against the
 * schema only, to check that networks and prefixes do not clash (see planCluster's `siblings`).
 * They are evaluated like the environment itself — in the child process, as data — never in
 * homelab's process. A sibling that does not load or validate is skipped: it is reported when
 * it is used itself. One that costs time or would go unseen (ran out of time, ended the
 * evaluator, printed) is also named in a warning.
 */

const EXTENSIONS = [".ts", ".mts", ".js", ".mjs", ".json"];

/** Environment files of `directory` other than `exclude`, sorted. */
export async function siblingFiles(directory: string, exclude: string): Promise<string[]> {
  let entries: string[];
  try {
    entries = (await readdir(directory)).sort();
  } catch {
    return [];
  }
  return entries
    .filter((entry) => EXTENSIONS.includes(extname(entry)) && !entry.endsWith(".d.ts"))
    .map((entry) => resolve(directory, entry))
    .filter((absolute) => absolute !== resolve(exclude));
}

function displayPath(absolute: string, cwd: string): string {
  const rel = relative(cwd, absolute);
  return rel !== "" && !rel.startsWith("..") && !isAbsolute(rel) ? rel : absolute;
}

/** Validated siblings and the warnings about those that misbehaved. */
export function siblingsFrom(
  evaluations: readonly FileEvaluation[],
  cwd: string,
): { siblings: SiblingEnvironment[]; warnings: PlanWarning[] } {
  const siblings: SiblingEnvironment[] = [];
  const warnings: PlanWarning[] = [];
  for (const { file: absolute, outcome, printed } of evaluations) {
    const file = displayPath(absolute, cwd);
    const skipped = (why: string) =>
      warnings.push({
        message: `${why}; it was skipped when checking for clashing networks and prefixes`,
        where: { file },
      });
    if (outcome.kind === "timeout") skipped(`did not finish evaluating within ${outcome.limitMs / 1000} s`);
    else if (outcome.kind === "out-of-memory")
      skipped(`used more than ${outcome.limitMiB} MiB while it was evaluated`);
    else if (outcome.kind === "exit-called") skipped(`calls process.exit(${outcome.exitCode})`);
    else if (outcome.kind === "crashed") skipped(`ended the process that evaluates it (${outcome.how})`);
    else if (outcome.kind === "not-evaluated") skipped(`was not evaluated (${outcome.because})`);
    if (outcome.kind !== "data") continue;
    if (printed) {
      warnings.push({
        message: `printed ${printed.characters} characters while it was evaluated (not shown); an environment file should only export data`,
        where: { file, ...(printed.at ? { line: printed.at.line } : {}) },
      });
    }
    const parsed = EnvironmentSchema.safeParse(outcome.value);
    if (parsed.success) siblings.push({ file, environment: parsed.data });
  }
  return { siblings, warnings };
}

/**
 * The environments of `directory` except `exclude` (pass "" for all), evaluated in one child.
 * Warnings say which were skipped and why (see above).
 */
export async function loadSiblingEnvironments(
  directory: string,
  options: { readonly exclude: string; readonly cwd: string; readonly limits?: Partial<EvaluationLimits> },
): Promise<SiblingEnvironment[]> {
  return (await loadSiblingEnvironmentsWithWarnings(directory, options)).siblings;
}

export async function loadSiblingEnvironmentsWithWarnings(
  directory: string,
  options: { readonly exclude: string; readonly cwd: string; readonly limits?: Partial<EvaluationLimits> },
): Promise<{ siblings: SiblingEnvironment[]; warnings: PlanWarning[] }> {
  const files = await siblingFiles(
    directory,
    options.exclude === "" ? join(directory, "\0") : options.exclude,
  );
  if (files.length === 0) return { siblings: [], warnings: [] };
  const evaluations = await evaluateEnvironmentFiles(files, {
    cwd: options.cwd,
    ...(options.limits ? { limits: options.limits } : {}),
  });
  return siblingsFrom(evaluations, options.cwd);
}
