import type { CommandModule } from "../../command.js";
import { verifiedImageStep } from "../../lifecycle/image.js";
import {
  environmentArgument,
  newSecretsOption,
  newSecretsRender,
  stringOption,
  tofuOption,
} from "../../lifecycle/options.js";
import { planStep, summaryData } from "../../lifecycle/plan-flow.js";
import { keepTofuExitStatus, withSession } from "../../lifecycle/session.js";

/**
 * `homelab plan [ENV]`: render, then show what OpenTofu would change — counted, and per node
 * (which nodes are created, replaced and why, destroyed). Changes nothing.
 */
const command: CommandModule = {
  configure(command) {
    newSecretsOption(environmentArgument(command));
    tofuOption(command).addHelpText(
      "after",
      "\nA node whose Ignition changed is shown as replaced: Ignition runs only at first boot, so the\nnode is rebuilt rather than left with its old configuration.\n\nExamples:\n  homelab plan\n  homelab plan production --json",
    );
  },
  async run(args, options, context) {
    const [environment] = args as [string];
    return keepTofuExitStatus(context, () =>
      withSession(
        context,
        {
          environment,
          tofu: stringOption(options, "tofu"),
          command: `homelab plan ${environment}`,
          render: newSecretsRender(options),
        },
        async ({ render, runner }) => {
          await verifiedImageStep(context, render);
          const plan = await planStep(
            context,
            runner,
            { nodeNames: render.plan.nodes.map((n) => n.name) },
            `Planning ${environment}`,
          );
          await runner.discard(plan);
          const next = plan.summary.noChanges
            ? "Nothing to apply."
            : `Apply it with \`homelab apply ${environment}\` (or \`homelab up ${environment}\`).`;
          context.reporter.result(
            { environment: render.plan.environment.name, ...summaryData(plan.summary) },
            next,
          );
          return 0;
        },
      ),
    );
  },
};

export default command;
