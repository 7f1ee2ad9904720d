import { runSshInteractive } from "../../../ssh/index.js";
import type { CommandModule } from "../../command.js";
import { sshTarget } from "../../lifecycle/cluster-access.js";
import {
  environmentOfNode,
  findNode,
  loadPlannedEnvironment,
  requireApplied,
} from "../../lifecycle/environment.js";
import { stringOption } from "../../lifecycle/options.js";

/**
 * `homelab ssh NODE [-- CMD…]`: OpenSSH as `core` with homelab's key for the environment and
 * its own known_hosts (first use trusts the node's key; a changed key is refused with
 * `ssh-host-key-mismatch`). Exits with ssh's status (the remote command's).
 */
const command: CommandModule = {
  configure(command) {
    command
      .argument("<node>", "node name, e.g. k3s-dev-server-1")
      .argument("[command...]", "command to run on the node (after --); default: a login shell")
      .option("--env <env>", "the node's environment, instead of finding it by prefix")
      .addHelpText(
        "after",
        "\nHost keys: homelab keeps <state>/<env>/ssh/known_hosts. A node's key is trusted the first time\n" +
          "(StrictHostKeyChecking=accept-new) and must not change afterwards; `homelab replace` forgets the\n" +
          "old key of the node it rebuilds.\n\nExamples:\n  homelab ssh k3s-dev-server-1\n  homelab ssh k3s-dev-agent-1 -- journalctl -u k3s-agent --no-pager",
      );
  },
  async run(args, options, context) {
    const [name, remote] = args as [string, string[] | undefined];
    const environment = stringOption(options, "env") ?? (await environmentOfNode(context, name));
    const planned = await loadPlannedEnvironment(context, environment);
    const node = findNode(planned.plan, planned.file, name);
    await requireApplied(planned);
    return runSshInteractive(
      sshTarget(planned.layout, node),
      remote ?? [],
      { stderr: context.stderr },
      { nodeName: node.name },
    );
  },
};

export default command;
