import { type LoadedEnvironment, locateDetails } from "../environment/load.js";
import { HomelabError } from "../errors/index.js";
import { PlanError, type PlanOptions, planCluster, type SiblingEnvironment } from "./plan.js";
import type { ClusterPlan, PlanWarning } from "./types.js";

/**
 * planCluster for a loaded environment, with line and column added to every problem and
 * warning (by parsing the environment file; only done when there is something to report).
 */
export async function planLoadedEnvironment(
  loaded: LoadedEnvironment,
  options: { readonly siblings?: readonly SiblingEnvironment[] } = {},
): Promise<ClusterPlan> {
  const planOptions: PlanOptions = {
    file: loaded.file,
    snippetSources: loaded.snippetSources,
    ...(options.siblings ? { siblings: options.siblings } : {}),
  };
  let plan: ClusterPlan;
  try {
    plan = planCluster(loaded.environment, planOptions);
  } catch (error) {
    if (!(error instanceof PlanError)) throw error;
    const located = await locateDetails(loaded.absoluteFile, loaded.file, error.problems);
    const [first] = located;
    // Details in file order, each tagged with its code; the headline stays the first problem.
    const position = (index: number) =>
      (located[index]?.where?.line ?? Number.MAX_SAFE_INTEGER) * 10_000 +
      (located[index]?.where?.column ?? 0);
    const order = located.map((_, index) => index).sort((a, b) => position(a) - position(b));
    // Tagged once, with the code of the problem itself (the list is reordered, so the code is
    // looked up by the problem's own index, not the position in the sorted list).
    const details = order.map((index) => ({
      ...located[index],
      message: `[${error.problems[index]?.code}] ${located[index]?.message}`,
    }));
    throw new HomelabError(error.code, error.message, {
      where: first?.where ?? error.where ?? { file: loaded.file },
      fix: error.fix,
      details: details.length === 1 ? [] : details,
    });
  }
  const all = [...loaded.warnings, ...plan.warnings];
  if (all.length === 0) return plan;
  const located = await locateDetails(
    loaded.absoluteFile,
    loaded.file,
    all.map((w) => ({ path: w.where?.path?.split(".") ?? [], message: w.message })),
  );
  const warnings: PlanWarning[] = all.map((w, i) =>
    w.where?.path ? { message: w.message, where: located[i]?.where } : w,
  );
  return { ...plan, warnings };
}
