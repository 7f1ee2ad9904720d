import { realWaitClock, waitForReplacement } from "../../../cluster/index.js";
import { HomelabError } from "../../../errors/index.js";
import { stateLayout } from "../../../state/layout.js";
import type { CommandModule } from "../../command.js";
import { environmentOfNode, findNode } from "../../lifecycle/environment.js";
import { verifiedImageStep } from "../../lifecycle/image.js";
import {
  parseDuration,
  stringOption,
  timeoutOption,
  tofuOption,
  yesOption,
} from "../../lifecycle/options.js";
import { applyPlan, confirmPlan, planStep, summaryData } from "../../lifecycle/plan-flow.js";
import { keepTofuExitStatus, withSession } from "../../lifecycle/session.js";
import { retireOldMachine } from "./old-machine.js";
import { replacePreflight } from "./preflight.js";

/**
 * `homelab replace NODE`: cattle, not pets. Drains the node through the Kubernetes API
 * (cordon, evictions that respect PodDisruptionBudgets, DaemonSet pods skipped), removes its
 * Node object, rebuilds disk, Ignition and VM with `-replace`, forgets its old SSH host key and
 * waits until the new machine is Ready. Refuses (unless --force) when the cluster would not
 * survive it: the only server, the cluster-init server, or a server whose loss breaks etcd's quorum.
 */
const command: CommandModule = {
  configure(command) {
    command
      .argument("<node>", "node name, e.g. k3s-dev-agent-1 (its environment is found by the name's prefix)")
      .option("--env <env>", "the node's environment, instead of finding it by prefix");
    tofuOption(command);
    yesOption(command, "replace");
    timeoutOption(command)
      .option(
        "--force",
        "replace even when the cluster would not survive it, or when the node cannot be drained",
      )
      .addHelpText(
        "after",
        "\nThe node comes back with a new disk, a fresh first boot (Ignition runs once, so this is how a\n" +
          "node gets a new configuration) and a new SSH host key.\n\nExamples:\n  homelab replace k3s-dev-agent-1\n" +
          "  homelab replace k3s-prod-server-2 --env production --yes",
      );
  },
  async run(args, options, context) {
    const [target] = args as [string];
    const force = options.force === true;
    const timeoutMs = parseDuration(String(options.timeout));
    const environment = stringOption(options, "env") ?? (await environmentOfNode(context, target));
    const session = {
      environment,
      tofu: stringOption(options, "tofu"),
      command: `homelab replace ${target}`,
    };
    return keepTofuExitStatus(context, () =>
      withSession(context, session, async ({ render, runner }) => {
        const { plan } = render;
        const node = findNode(plan, render.environmentFile, target);
        const preflight = await replacePreflight(context, runner, plan, target, force);
        await verifiedImageStep(context, render);

        const saved = await planStep(
          context,
          runner,
          { nodeNames: plan.nodes.map((n) => n.name), replace: preflight.addresses },
          `Planning the replacement of ${target}`,
        );
        const others = saved.summary.nodes
          .filter((n) => n.node !== target)
          .map((n) => `${n.node} (${n.action})`);
        if (others.length > 0) {
          context.reporter.warn(
            `this apply also changes other nodes (the environment changed since the last apply): ${others.join(", ")}`,
          );
        }
        const confirmed = await confirmPlan(context, runner, saved, {
          yes: options.yes === true,
          what: `Replacing ${target}`,
          question: `Drain ${target}, delete its disk and VM and build it again?`,
        });
        if (!confirmed) throw new HomelabError("internal", `the plan to replace ${target} has no changes`);

        const clock = realWaitClock(context.now);
        if (preflight.api) {
          const retiring = {
            api: preflight.api,
            node: target,
            previousObject: preflight.previousObject,
            force,
            timeoutMs,
            clock,
          };
          await retireOldMachine(context, retiring).catch(async (error: unknown) => {
            await runner.discard(saved);
            throw error;
          });
        }
        await applyPlan(context, runner, saved, {
          nodes: plan.nodes,
          knownHosts: stateLayout(render.stateDir).knownHosts,
        });
        context.reporter.info(
          `Forgot ${target}'s old SSH host key (${node.address}); the new one is trusted on first use.`,
        );

        let bootId: string | undefined;
        if (preflight.api) {
          const api = preflight.api;
          const replaced = await context.reporter.step(`Waiting for the new ${target} to be Ready`, (step) =>
            waitForReplacement({
              api,
              node: target,
              previous: preflight.previous,
              timeoutMs,
              clock,
              onProgress: (text) => step.update(text),
            }),
          );
          bootId = replaced.bootId;
          context.reporter.success(
            `${target} is Ready as a new machine${bootId ? ` (boot ID ${bootId})` : ""}`,
          );
        } else {
          context.reporter.warn(
            `not waiting for ${target}: the Kubernetes API could not be reached. Check with \`homelab status ${plan.environment.name}\`.`,
          );
        }
        context.reporter.result(
          {
            environment: plan.environment.name,
            node: target,
            replaced: preflight.addresses,
            bootId: bootId ?? null,
            plan: summaryData(saved.summary),
          },
          `${target} was replaced.`,
        );
        return 0;
      }),
    );
  },
};

export default command;
