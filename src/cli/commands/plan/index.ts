import {
  formatRollout,
  migrationRefusal,
  rolloutData,
  rollSteps,
  scaleDownRefusal,
} from "../../../rollout/index.js";
import { stateLayout } from "../../../state/layout.js";
import type { CommandModule } from "../../command.js";
import { ignitionChanges, ignitionData, ignitionLines } from "../../lifecycle/ignition-changes.js";
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
 * `homelab plan [ENV]`: render, then show what OpenTofu would change in the rendered step —
 * counted, and per node — and the whole rollout: every node that is created, rebuilt,
 * restarted or removed, in the order `apply` rolls them, and why. Changes nothing.
 */
const command: CommandModule = {
  configure(command) {
    newSecretsOption(environmentArgument(command));
    tofuOption(command).addHelpText(
      "after",
      "\nA node whose Ignition changed is rebuilt: Ignition runs only at first boot. Rebuilds roll one\n" +
        "node per step, so the OpenTofu plan shows the next step; the rollout below it lists them all.\n\n" +
        "Examples:\n  homelab plan\n  homelab plan production --json",
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
          const rollout = render.rollout;
          const refusal =
            migrationRefusal(render.applied, render.plan.environment.name, render.environmentFile) ??
            scaleDownRefusal(rollout, render.environmentFile);
          if (refusal)
            context.reporter.warn(`${refusal.message}. ${refusal.fix ?? ""}`, { code: refusal.code });
          const nodeNames = [
            ...new Set([...render.plan.nodes.map((n) => n.name), ...rollout.nodes.map((n) => n.name)]),
          ];
          const plan = await planStep(context, runner, { nodeNames }, `Planning ${environment}`);
          await runner.discard(plan);
          const steps = rollSteps(rollout);
          const changes = await ignitionChanges(render, stateLayout(render.stateDir));
          context.reporter.info(formatRollout(rollout, { steps, ignition: ignitionLines(changes) }), {
            event: "rollout",
            ignition: ignitionData(changes),
            rollout: rolloutData(rollout),
          });
          const next =
            plan.summary.noChanges && steps.length === 0
              ? "Nothing to apply."
              : `Apply it with \`homelab apply ${environment}\` (or \`homelab up ${environment}\`).`;
          context.reporter.result(
            {
              environment: render.plan.environment.name,
              ...summaryData(plan.summary),
              rollout: rolloutData(rollout),
            },
            next,
          );
          return 0;
        },
      ),
    );
  },
};

export default command;
