import { HomelabError } from "../../../errors/index.js";
import {
  formatRollout,
  isPending,
  migrationRefusal,
  RELEASE_NONE,
  rolloutData,
  rollSteps,
} from "../../../rollout/index.js";
import type { CommandModule } from "../../command.js";
import { confirmOrRefuse } from "../../lifecycle/confirm.js";
import { environmentOfNode, findNode } from "../../lifecycle/environment.js";
import { verifiedImageStep } from "../../lifecycle/image.js";
import { rollOptions, stringOption, tofuOption, yesOption } from "../../lifecycle/options.js";
import { rollEnvironment } from "../../lifecycle/roll.js";
import { keepTofuExitStatus, withSession } from "../../lifecycle/session.js";
import { etcdSnapshots } from "../../lifecycle/snapshots.js";

/**
 * `homelab replace NODE`: cattle, not pets — any node, the first server included. One step of
 * the rollout for that node: for a server a quorum check and an etcd snapshot, then drain, the
 * Node removed (for a server after k3s removed its etcd member), disk, Ignition and VM rebuilt,
 * and a wait until the new machine is Ready. The only server of an environment is rebuilt from
 * its snapshot: the new machine restores it before k3s starts, and the agents come back.
 */
const command: CommandModule = {
  configure(command) {
    command
      .argument("<node>", "node name, e.g. k3s-dev-agent-1 (its environment is found by the name's prefix)")
      .option("--env <env>", "the node's environment, instead of finding it by prefix");
    tofuOption(command);
    yesOption(command, "replace");
    rollOptions(command).addHelpText(
      "after",
      "\nThe node comes back with a new disk, a fresh first boot (Ignition runs once, so this is how a\n" +
        "node gets a new configuration), a new SSH host key and the same identity (its k3s node\n" +
        "password is kept). The first server joins the running cluster again; the only server of an\n" +
        "environment is snapshotted first and restored on the new machine.\n\n" +
        "Examples:\n  homelab replace k3s-dev-agent-1\n  homelab replace k3s-prod-server-1 --env production --yes",
    );
  },
  async run(args, options, context) {
    const [target] = args as [string];
    const roll = rollOptions.parse(options);
    const environment = stringOption(options, "env") ?? (await environmentOfNode(context, target));
    const session = {
      environment,
      tofu: stringOption(options, "tofu"),
      command: `homelab replace ${target}`,
      render: { requested: [target], release: RELEASE_NONE },
    };
    return keepTofuExitStatus(context, () =>
      withSession(context, session, async (current) => {
        const { render } = current;
        const name = render.plan.environment.name;
        findNode(render.plan, render.environmentFile, target);
        await verifiedImageStep(context, render);
        const legacy = migrationRefusal(render.applied, name, render.environmentFile);
        if (legacy) throw legacy;
        const rollout = render.rollout;
        const node = rollout.nodes.find((n) => n.name === target);
        if (!node?.applied && node?.change.kind !== "replace") {
          throw new HomelabError(
            "not-applied",
            `${target} has not been created yet: there is nothing to replace`,
            {
              fix: `Create it with \`homelab up ${name}\`.`,
            },
          );
        }
        const others = rollout.nodes.filter(
          (n) => n.name !== target && (isPending(n.change) || n.change.kind === "create"),
        );
        if (others.length > 0) {
          context.reporter.warn(
            `the environment changed since the last apply; replace rebuilds ${target} only (and creates any new node). ` +
              `Still due afterwards: ${others.map((n) => `${n.name} (${n.change.kind})`).join(", ")} — run \`homelab apply ${name}\`.`,
          );
        }
        const steps = rollSteps(rollout, { ...roll, only: [target] });
        context.reporter.info(formatRollout({ ...rollout, order: [target] }, { steps }), {
          event: "rollout",
          rollout: rolloutData(rollout),
        });
        await confirmOrRefuse(context, {
          yes: options.yes === true,
          what: `Replacing ${target}`,
          question: `Drain ${target}, delete its disk and VM and build it again? [y/N] `,
          expected: ["y", "yes"],
        });
        const rolled = await rollEnvironment(context, current, rollout, {
          ...roll,
          snapshots: etcdSnapshots,
          only: [target],
        });
        context.reporter.success(`${target} is Ready as a new machine`);
        context.reporter.result(
          { environment: name, node: target, steps: rolled.result.steps, rollout: rolloutData(rollout) },
          `${target} was replaced.`,
        );
        return 0;
      }),
    );
  },
};

export default command;
