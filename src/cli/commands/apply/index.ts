import type { CommandModule } from "../../command.js";
import { applyEnvironment } from "../../lifecycle/apply-flow.js";
import { verifiedImageStep } from "../../lifecycle/image.js";
import {
  environmentArgument,
  newSecretsOption,
  newSecretsRender,
  rollOptions,
  stringOption,
  tofuOption,
  yesOption,
} from "../../lifecycle/options.js";
import { keepTofuExitStatus, withSession } from "../../lifecycle/session.js";
import { etcdSnapshots } from "../../lifecycle/snapshots.js";

/**
 * `homelab apply [ENV]`: render, plan, summarise, ask, apply. When machines must be rebuilt,
 * restarted or removed, they roll one step at a time (agents, then joining servers, then the
 * first server), each drained first and Ready again before the next; a stopped roll resumes on
 * the next `apply`. `homelab up` does the same and then waits for the whole cluster.
 */
const command: CommandModule = {
  configure(command) {
    newSecretsOption(environmentArgument(command));
    tofuOption(command);
    rollOptions(command);
    yesOption(command, "apply").addHelpText(
      "after",
      "\nThe state is copied to <state>/<env>/tofu/backups/ before every apply. A second run for the\n" +
        "same environment is refused while this one holds its lock.\n\n" +
        "Examples:\n  homelab apply\n  homelab apply staging --yes\n  homelab apply production --parallel 2",
    );
  },
  async run(args, options, context) {
    const [environment] = args as [string];
    const roll = rollOptions.parse(options);
    return keepTofuExitStatus(context, () =>
      withSession(
        context,
        {
          environment,
          tofu: stringOption(options, "tofu"),
          command: `homelab apply ${environment}`,
          render: newSecretsRender(options),
        },
        async (session) => {
          const name = session.render.plan.environment.name;
          await verifiedImageStep(context, session.render);
          const outcome = await applyEnvironment(context, session, {
            ...roll,
            snapshots: etcdSnapshots,
            yes: options.yes === true,
            what: `Applying changes to ${name}`,
            question: `Apply these changes to ${name}?`,
          });
          context.reporter.result(
            { environment: name, applied: outcome.applied, ...outcome.data },
            outcome.applied
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
