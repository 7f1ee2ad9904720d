import { join } from "node:path";
import { loadEnvironment, loadSiblingEnvironments } from "../../environment/index.js";
import { HomelabError } from "../../errors/index.js";
import { type ClusterPlan, type NodePlan, planLoadedEnvironment } from "../../plan/index.js";
import { hasAppliedState } from "../../runner/index.js";
import { type StateLayout, stateLayout } from "../../state/layout.js";
import type { CliContext } from "../context.js";
import { environmentStateDir } from "../paths.js";
import { warnIfNameMismatch } from "./environment-name.js";

/** An environment as the read-only commands need it: its plan and its state files. */
export interface PlannedEnvironment {
  readonly plan: ClusterPlan;
  readonly file: string;
  readonly layout: StateLayout;
}

/** Loads and plans an environment without rendering (status, ssh, kubeconfig). */
export async function loadPlannedEnvironment(
  context: CliContext,
  environment: string,
): Promise<PlannedEnvironment> {
  const loaded = await loadEnvironment(environment, { cwd: context.cwd, home: context.paths.home });
  await warnIfNameMismatch(context, loaded);
  const plan = await planLoadedEnvironment(loaded);
  return {
    plan,
    file: loaded.file,
    layout: stateLayout(environmentStateDir(context.paths, plan.environment.name)),
  };
}

/** Refuses commands that need VMs when the environment has never been applied. */
export async function requireApplied(planned: PlannedEnvironment): Promise<void> {
  if (await hasAppliedState(planned.layout.tofuState)) return;
  const name = planned.plan.environment.name;
  throw new HomelabError("not-applied", `${name} has not been applied yet: there are no VMs to talk to`, {
    where: { file: planned.layout.tofuState },
    fix: `Create it with \`homelab up ${name}\`. If it was created with another state directory, set HOMELAB_STATE_DIR to that one.`,
  });
}

/** The node of that name in a plan; `node-not-found` listing the plan's nodes otherwise. */
export function findNode(plan: ClusterPlan, environmentFile: string, name: string): NodePlan {
  const node = plan.nodes.find((n) => n.name === name);
  if (node) return node;
  throw new HomelabError("node-not-found", `${plan.environment.name} has no node named "${name}"`, {
    where: { file: environmentFile },
    fix: `Its nodes are: ${plan.nodes.map((n) => n.name).join(", ")}.`,
  });
}

/**
 * Which environment a node belongs to, by its name's prefix (`<prefix>-server-1`), looking
 * through environments/*. The longest matching prefix wins; `--env` skips the search.
 */
export async function environmentOfNode(context: CliContext, node: string): Promise<string> {
  const siblings = await loadSiblingEnvironments(join(context.cwd, "environments"), {
    exclude: "",
    cwd: context.cwd,
  });
  const matches = siblings
    .filter((s) => node.startsWith(`${s.environment.prefix}-`))
    .sort((a, b) => b.environment.prefix.length - a.environment.prefix.length);
  const [best] = matches;
  if (best) return best.environment.name;
  const known = siblings.map((s) => `${s.environment.name} (${s.environment.prefix}-…)`).join(", ");
  throw new HomelabError("node-not-found", `no environment in environments/ names its nodes like "${node}"`, {
    fix: known
      ? `Node names start with their environment's prefix: ${known}. Or name the environment with --env.`
      : "There is no environments/ here or in any folder above: run homelab inside its repository, or name the environment with --env.",
  });
}
