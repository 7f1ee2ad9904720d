import type { NodePlan } from "../../plan/index.js";
import {
  formatPlanSummary,
  type PlanRequest,
  type PlanSummary,
  type SavedPlan,
  type TofuRunner,
} from "../../runner/index.js";
import { forgetHostKeys } from "../../ssh/index.js";
import type { CliContext } from "../context.js";
import { confirmOrRefuse } from "./confirm.js";

/** The `--json` form of a plan summary. */
export function summaryData(summary: PlanSummary): Record<string, unknown> {
  return {
    add: summary.add,
    change: summary.change,
    destroy: summary.destroy,
    replace: summary.replace,
    noChanges: summary.noChanges,
    nodes: summary.nodes,
    resources: summary.resources,
    staleIgnition: summary.staleIgnition,
  };
}

/** Runs `plan` as a visible step and shows its summary (and any stale-Ignition warning). */
export async function planStep(
  context: CliContext,
  runner: TofuRunner,
  request: PlanRequest,
  title: string,
): Promise<SavedPlan> {
  const plan = await context.reporter.step(title, () => runner.plan(request));
  context.reporter.info(formatPlanSummary(plan.summary), {
    event: "plan",
    summary: summaryData(plan.summary),
  });
  for (const node of plan.summary.staleIgnition) {
    context.reporter.warn(
      `${node}: its Ignition changes but the node is not replaced, so it would keep its old configuration (Ignition runs once). ` +
        `Run \`homelab replace ${node}\` after this apply.`,
    );
  }
  return plan;
}

export interface ConfirmPlanOptions {
  readonly yes: boolean;
  /** e.g. "Apply these changes to development?". */
  readonly question: string;
  /** Confirm by typing this instead of yes (destroy: the environment name). */
  readonly typed?: string;
  readonly what: string;
}

export interface ApplyPlanOptions {
  /** The environment's nodes and known_hosts: new machines' old host keys are forgotten. */
  readonly nodes: readonly Pick<NodePlan, "name" | "address">[];
  readonly knownHosts: string;
}

/**
 * Asks (unless --yes) whether to apply a saved plan. A plan without changes is not asked
 * about: returns false and discards it. A refusal discards it too.
 */
export async function confirmPlan(
  context: CliContext,
  runner: TofuRunner,
  plan: SavedPlan,
  options: ConfirmPlanOptions,
): Promise<boolean> {
  if (plan.summary.noChanges) {
    await runner.discard(plan);
    return false;
  }
  try {
    await confirmOrRefuse(context, {
      yes: options.yes,
      what: options.what,
      question: options.typed
        ? `${options.question} Type ${options.typed} to confirm: `
        : `${options.question} [y/N] `,
      expected: options.typed ? [options.typed] : ["y", "yes"],
    });
  } catch (error) {
    await runner.discard(plan);
    throw error;
  }
  return true;
}

/** Applies exactly the saved plan (state backed up first), then forgets rebuilt nodes' host keys. */
export async function applyPlan(
  context: CliContext,
  runner: TofuRunner,
  plan: SavedPlan,
  options: ApplyPlanOptions,
): Promise<void> {
  try {
    const backup = await context.reporter.step(`Applying with ${runner.binary.flavor}`, () =>
      runner.apply(plan, context.date()),
    );
    if (backup) context.reporter.info(`State backed up to ${backup}`, { backup });
  } finally {
    // Even after a failed apply: some machines may be new already. Forgetting is harmless
    // (the next ssh trusts the new key on first use); keeping an old key is not.
    await forgetRebuiltHostKeys(plan, options.nodes, options.knownHosts);
  }
}

/** confirmPlan, then applyPlan. Returns whether anything was applied. */
export async function confirmAndApply(
  context: CliContext,
  runner: TofuRunner,
  plan: SavedPlan,
  options: ConfirmPlanOptions & ApplyPlanOptions,
): Promise<boolean> {
  if (!(await confirmPlan(context, runner, plan, options))) return false;
  await applyPlan(context, runner, plan, options);
  return true;
}

/**
 * A created, replaced or destroyed node is (or will be) a new machine with a new SSH host key
 * at the same address: its recorded key must go, or ssh would refuse the new one.
 */
async function forgetRebuiltHostKeys(
  plan: SavedPlan,
  nodes: readonly Pick<NodePlan, "name" | "address">[],
  knownHosts: string,
): Promise<void> {
  const rebuilt = new Set(plan.summary.nodes.filter((n) => n.action !== "update").map((n) => n.node));
  const addresses = nodes
    .filter((node) => plan.destroy || rebuilt.has(node.name))
    .map((node) => node.address);
  if (addresses.length > 0) await forgetHostKeys(knownHosts, addresses);
}
