import { rm } from "node:fs/promises";
import { stateLayout } from "../../../state/layout.js";
import type { CommandModule } from "../../command.js";
import { environmentKubeconfig } from "../../lifecycle/cluster-access.js";
import { environmentArgument, stringOption, tofuOption, yesOption } from "../../lifecycle/options.js";
import { confirmAndApply, planStep, summaryData } from "../../lifecycle/plan-flow.js";
import { keepTofuExitStatus, withSession } from "../../lifecycle/session.js";

/**
 * `homelab destroy [ENV]`: render, plan a destroy, show it, and apply it once the user has
 * typed the environment's name (or with --yes). Secrets and state backups stay in the state
 * directory, so `homelab up` rebuilds the same environment.
 */
const command: CommandModule = {
  configure(command) {
    environmentArgument(command);
    tofuOption(command);
    yesOption(command, "destroy").addHelpText(
      "after",
      "\nDeletes every VM, disk, network and pool homelab created for the environment. The k3s token,\nSSH keys and state backups are kept (in the state directory), so `homelab up` rebuilds it.\n\nExamples:\n  homelab destroy\n  homelab destroy staging --yes",
    );
  },
  async run(args, options, context) {
    const [environment] = args as [string];
    return keepTofuExitStatus(context, () =>
      withSession(
        context,
        { environment, tofu: stringOption(options, "tofu"), command: `homelab destroy ${environment}` },
        async ({ render, runner }) => {
          const name = render.plan.environment.name;
          const plan = await planStep(
            context,
            runner,
            { nodeNames: render.plan.nodes.map((n) => n.name), destroy: true },
            `Planning the destruction of ${name}`,
          );
          const applied = await confirmAndApply(context, runner, plan, {
            yes: options.yes === true,
            nodes: render.plan.nodes,
            knownHosts: stateLayout(render.stateDir).knownHosts,
            what: `Destroying ${name}`,
            question: `This deletes every VM and disk of ${name}.`,
            typed: name,
          });
          if (applied) {
            // The cluster it pointed at is gone; the next `up` writes a new one.
            const kubeconfig = environmentKubeconfig(context, name);
            await rm(kubeconfig, { force: true });
            // No machine is left: what the state kept about machines describes nothing now. The
            // node passwords and the token stay, so `up` builds the same environment again.
            const layout = stateLayout(render.stateDir);
            await rm(layout.firstBootRecord, { force: true });
            for (const node of render.rollout.nodes)
              await rm(layout.node(node.name).appliedIgnition, { force: true });
          }
          context.reporter.result(
            { environment: name, destroyed: applied, ...summaryData(plan.summary) },
            applied
              ? `${name} is destroyed (and ~/.kube/homelab-${name}.yaml removed). \`homelab up ${name}\` builds it again.`
              : `${name} has nothing to destroy.`,
          );
          return 0;
        },
      ),
    );
  },
};

export default command;
