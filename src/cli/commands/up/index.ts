import { HomelabError } from "../../../errors/index.js";
import { stateLayout } from "../../../state/layout.js";
import type { CommandModule } from "../../command.js";
import type { CliContext } from "../../context.js";
import { applyEnvironment } from "../../lifecycle/apply-flow.js";
import {
  fetchClusterKubeconfig,
  type KubeconfigOutcome,
  waitForEveryNode,
} from "../../lifecycle/cluster-waits.js";
import { hostChecksStep } from "../../lifecycle/host-checks.js";
import { ensureImageStep } from "../../lifecycle/image.js";
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
import { resolveTofu } from "../../lifecycle/tofu.js";
import { displayPath } from "../render/summary.js";

function usage(
  context: CliContext,
  environment: string,
  firstServer: string,
  registrationAddress: string,
  kubeconfig: KubeconfigOutcome,
): string {
  const lines = [
    "",
    `Use the cluster (API at its registration address https://${registrationAddress}:6443):`,
    `  export KUBECONFIG=${displayPath(kubeconfig.path, context.cwd, context.paths.home)}`,
    "  kubectl get nodes",
  ];
  if (kubeconfig.mergedInto)
    lines.push(
      `  (or: kubectl config use-context ${kubeconfig.context}, merged into ${displayPath(kubeconfig.mergedInto, context.cwd, context.paths.home)})`,
    );
  lines.push(
    `  homelab status ${environment}          # VMs, readiness, versions`,
    `  homelab ssh ${firstServer}     # a shell on a node, as core`,
    `  homelab replace <node>               # rebuild one node from scratch`,
    `  homelab destroy ${environment}         # delete every VM and disk`,
  );
  return lines.join("\n");
}

/**
 * `homelab up [ENV]`: render, doctor, image, plan (confirm), apply, then wait — first server
 * `/ping`, kubeconfig over SSH, every node Ready — and print how to use the cluster. On an
 * unchanged environment nothing is applied and nothing asked; the cluster is still verified.
 */
const command: CommandModule = {
  configure(command) {
    newSecretsOption(environmentArgument(command));
    tofuOption(command);
    yesOption(command, "apply");
    rollOptions(command)
      .option(
        "--image <path>",
        "use a local Flatcar image (verified with <path>.sig beside it) instead of the download",
      )
      .option("--insecure-skip-verify", "with --image: accept an image without a signature (not recommended)")
      .option(
        "--merge-kubeconfig",
        "also merge the cluster into your kubeconfig ($KUBECONFIG or ~/.kube/config) as context homelab-<env>",
      )
      .addHelpText(
        "after",
        "\nSteps: render (.homelab/<env>/), host checks (homelab doctor), the verified Flatcar image,\n" +
          "plan and apply (asks first), then waits: k3s answers on the first server, the kubeconfig is\n" +
          "written to ~/.kube/homelab-<env>.yaml (0600), every node is Ready.\n\n" +
          "Examples:\n  homelab up\n  homelab up staging --yes --timeout 20m\n  homelab up --merge-kubeconfig",
      );
  },
  async run(args, options, context) {
    const [environment] = args as [string];
    const roll = rollOptions.parse(options);
    const timeoutMs = roll.timeoutMs;
    const override = stringOption(options, "tofu") ?? (context.env.HOMELAB_TOFU || undefined);
    const image = stringOption(options, "image");
    if (options.insecureSkipVerify === true && image === undefined) {
      throw new HomelabError(
        "usage",
        "--insecure-skip-verify only applies to a local image given with --image",
        {
          fix: "Downloaded images are always verified. Drop the flag, or pass --image PATH.",
        },
      );
    }
    return keepTofuExitStatus(context, () =>
      withSession(
        context,
        {
          environment,
          tofu: override,
          command: `homelab up ${environment}`,
          render: { ...newSecretsRender(options), ...(image === undefined ? {} : { flatcarImage: image }) },
        },
        async (session) => {
          const plan = session.render.plan;
          const name = plan.environment.name;
          const layout = stateLayout(session.render.stateDir);
          const outcome = await applyEnvironment(context, session, {
            ...roll,
            snapshots: etcdSnapshots,
            yes: options.yes === true,
            what: `Applying changes to ${name}`,
            question: `Apply these changes to ${name}?`,
          });
          const applied = outcome.applied;
          if (!applied)
            context.reporter.info(`${name} matches its configuration; checking that the cluster is healthy.`);
          const kubeconfig = await fetchClusterKubeconfig(context, plan, layout, {
            timeoutMs,
            merge: options.mergeKubeconfig === true,
          });
          await waitForEveryNode(context, plan, { timeoutMs });
          context.reporter.success(
            `${name} is up: ${plan.nodes.length} node${plan.nodes.length === 1 ? "" : "s"} Ready`,
          );
          context.reporter.result(
            {
              environment: name,
              applied,
              kubeconfig: kubeconfig.path,
              context: kubeconfig.context,
              mergedInto: kubeconfig.mergedInto ?? null,
              nodes: plan.nodes.map((n) => ({ name: n.name, role: n.role, address: n.address })),
              ...outcome.data,
            },
            usage(context, name, plan.firstServer.name, plan.network.registrationAddress, kubeconfig),
          );
          return 0;
        },
        async (rendered) => {
          const chosen = override === undefined ? undefined : await resolveTofu(context, override);
          await hostChecksStep(context, rendered.render.plan, chosen);
          await ensureImageStep(context, rendered, {
            ...(image === undefined ? {} : { image }),
            insecureSkipVerify: options.insecureSkipVerify === true,
          });
        },
      ),
    );
  },
};

export default command;
