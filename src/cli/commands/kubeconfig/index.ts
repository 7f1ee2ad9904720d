import type { CommandModule } from "../../command.js";
import { fetchClusterKubeconfig } from "../../lifecycle/cluster-waits.js";
import { loadPlannedEnvironment, requireApplied } from "../../lifecycle/environment.js";
import { environmentArgument, parseDuration, timeoutOption } from "../../lifecycle/options.js";
import { displayPath } from "../render/summary.js";

/**
 * `homelab kubeconfig [ENV]`: fetches the cluster's kubeconfig again from the first server
 * (over SSH, as `up` does), writes it 0600 to ~/.kube/homelab-<env>.yaml and prints where.
 */
const command: CommandModule = {
  configure(command) {
    environmentArgument(command);
    timeoutOption(command)
      .option(
        "--merge-kubeconfig",
        "also merge it into your kubeconfig ($KUBECONFIG or ~/.kube/config) as context homelab-<env>",
      )
      .addHelpText(
        "after",
        "\nThe file holds the cluster's admin credentials: it is written 0600 and never printed.\n\n" +
          "Examples:\n  homelab kubeconfig\n  export KUBECONFIG=$(homelab kubeconfig staging --json | jq -r 'select(.type==\"result\").path')",
      );
  },
  async run(args, options, context) {
    const [environment] = args as [string];
    const planned = await loadPlannedEnvironment(context, environment);
    await requireApplied(planned);
    const outcome = await fetchClusterKubeconfig(context, planned.plan, planned.layout, {
      timeoutMs: parseDuration(String(options.timeout)),
      merge: options.mergeKubeconfig === true,
    });
    const shown = displayPath(outcome.path, context.cwd, context.paths.home);
    const lines = [`Wrote ${shown} (context ${outcome.context}).`, `  export KUBECONFIG=${shown}`];
    if (outcome.mergedInto)
      lines.push(`Merged into ${outcome.mergedInto}: kubectl config use-context ${outcome.context}`);
    context.reporter.result(
      { path: outcome.path, context: outcome.context, mergedInto: outcome.mergedInto ?? null },
      lines.join("\n"),
    );
    return 0;
  },
};

export default command;
