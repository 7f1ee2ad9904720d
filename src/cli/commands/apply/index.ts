import { stateLayout } from "../../../state/layout.js";
import type { CommandModule } from "../../command.js";
import { verifiedImageStep } from "../../lifecycle/image.js";
import {
  environmentArgument,
  newSecretsOption,
  newSecretsRender,
  stringOption,
  tofuOption,
  yesOption,
} from "../../lifecycle/options.js";
import { confirmAndApply, planStep, summaryData } from "../../lifecycle/plan-flow.js";
import { keepTofuExitStatus, withSession } from "../../lifecycle/session.js";

/**
 * `homelab apply [ENV]`: render, plan into a saved plan file, summarise it, ask, then apply
 * exactly that plan (the state is backed up first). `homelab up` does this and then waits for
 * the cluster; apply does not wait.
 */
const command: CommandModule = {
  configure(command) {
    newSecretsOption(environmentArgument(command));
    tofuOption(command);
    yesOption(command, "apply").addHelpText(
      "after",
      "\nThe state is copied to <state>/<env>/tofu/backups/ before every apply. A second run for the\nsame environment is refused while this one holds its lock.\n\nExamples:\n  homelab apply\n  homelab apply staging --yes",
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
          command: `homelab apply ${environment}`,
          render: newSecretsRender(options),
        },
        async ({ render, runner }) => {
          const name = render.plan.environment.name;
          await verifiedImageStep(context, render);
          const plan = await planStep(
            context,
            runner,
            { nodeNames: render.plan.nodes.map((n) => n.name) },
            `Planning ${name}`,
          );
          const applied = await confirmAndApply(context, runner, plan, {
            yes: options.yes === true,
            nodes: render.plan.nodes,
            knownHosts: stateLayout(render.stateDir).knownHosts,
            what: `Applying changes to ${name}`,
            question: `Apply these changes to ${name}?`,
          });
          context.reporter.result(
            { environment: name, applied, ...summaryData(plan.summary) },
            applied
              ? `Applied. \`homelab up ${name}\` waits for the cluster and writes its kubeconfig.`
              : "Nothing to apply.",
          );
          return 0;
        },
      ),
    );
  },
};

export default command;
