import type { RenderResult } from "../../render/index.js";
import {
  formatRollout,
  migrationRefusal,
  RELEASE_NONE,
  rolloutData,
  rollSteps,
  scaleDownRefusal,
} from "../../rollout/index.js";
import { stateLayout } from "../../state/layout.js";
import type { CliContext } from "../context.js";
import { ignitionChanges, ignitionData, ignitionLines, recordAppliedIgnition } from "./ignition-changes.js";
import { applyPlan, confirmPlan, planStep, summaryData } from "./plan-flow.js";
import { type RollCommandOptions, rollEnvironment } from "./roll.js";
import type { Session } from "./session.js";

export interface ApplyFlowOptions extends RollCommandOptions {
  readonly yes: boolean;
  /** e.g. "Applying changes to development". */
  readonly what: string;
  /** e.g. "Apply these changes to development?". */
  readonly question: string;
  /**
   * Runs once the user has confirmed and before anything is applied (`homelab upgrade` writes
   * homelab.lock.json here): never when the plan has no changes or the answer is no.
   */
  readonly onConfirmed?: () => Promise<void>;
}

export interface ApplyFlowOutcome {
  readonly applied: boolean;
  /** The render the environment is in afterwards. */
  readonly render: RenderResult;
  readonly data: Record<string, unknown>;
}

/**
 * What `apply` and `up` do with a rendered environment. When no machine must go down, one
 * plan, one question, one apply — as OpenTofu would. When machines must be rebuilt, restarted
 * or removed, the plan shows the first step (creations and what keeps every machine up) and
 * the rollout (every node that rolls, in order, and why), asks once, and then rolls: each node
 * drained, rebuilt and Ready again before the next.
 */
export async function applyEnvironment(
  context: CliContext,
  session: Session,
  options: ApplyFlowOptions,
): Promise<ApplyFlowOutcome> {
  const { render, runner } = session;
  const rollout = render.rollout;
  const refusal =
    migrationRefusal(render.applied, render.plan.environment.name, render.environmentFile) ??
    scaleDownRefusal(rollout, render.environmentFile);
  if (refusal) throw refusal;
  const steps = rollSteps(rollout, options);
  const name = render.plan.environment.name;
  const nodeNames = [
    ...new Set([...render.plan.nodes.map((n) => n.name), ...rollout.nodes.map((n) => n.name)]),
  ];
  const layout = stateLayout(render.stateDir);

  if (steps.length === 0) {
    const saved = await planStep(context, runner, { nodeNames }, `Planning ${name}`);
    const data = { plan: summaryData(saved.summary), rollout: rolloutData(rollout) };
    const confirmed = await confirmPlan(context, runner, saved, {
      yes: options.yes,
      what: options.what,
      question: options.question,
    });
    if (confirmed) {
      try {
        await options.onConfirmed?.();
      } catch (error) {
        await runner.discard(saved);
        throw error;
      }
      await applyPlan(context, runner, saved, { nodes: render.plan.nodes, knownHosts: layout.knownHosts });
    }
    // Nothing was held back: every node's machine runs the Ignition just written.
    await recordAppliedIgnition(
      render,
      layout,
      render.plan.nodes.map((node) => node.name),
    );
    return { applied: confirmed, render, data };
  }

  // What the first step applies, then the whole roll, then one question for all of it.
  const changes = await ignitionChanges(render, layout);
  await session.rerender(RELEASE_NONE);
  const first = await planStep(context, runner, { nodeNames }, `Planning ${name} (creations first)`);
  context.reporter.info(formatRollout(rollout, { steps, ignition: ignitionLines(changes) }), {
    event: "rollout",
    rollout: rolloutData(rollout),
    ignition: ignitionData(changes),
  });
  const count = steps.flat().length;
  const confirmed = await confirmPlan(
    context,
    runner,
    { ...first, summary: { ...first.summary, noChanges: false } },
    {
      yes: options.yes,
      what: options.what,
      question: `${options.question.replace(/\?$/, "")} and roll ${count} node${count === 1 ? "" : "s"} one step at a time?`,
    },
  );
  await runner.discard(first);
  if (!confirmed) return { applied: false, render, data: { rollout: rolloutData(rollout) } };
  await options.onConfirmed?.();
  const rolled = await rollEnvironment(context, session, rollout, options);
  return {
    applied: true,
    render: rolled.render,
    data: { plan: summaryData(first.summary), rollout: rolloutData(rollout), steps: rolled.result.steps },
  };
}
