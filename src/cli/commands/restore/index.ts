import { HomelabError } from "../../../errors/index.js";
import { resolveSnapshot, restoreCluster, verifySnapshot } from "../../../snapshots/index.js";
import type { CommandModule } from "../../command.js";
import { waitForEveryNode } from "../../lifecycle/cluster-waits.js";
import { confirmOrRefuse } from "../../lifecycle/confirm.js";
import { findNode, loadPlannedEnvironment, requireApplied } from "../../lifecycle/environment.js";
import { parseDuration, stringOption, timeoutOption, yesOption } from "../../lifecycle/options.js";
import { snapshotData, snapshotServers, withEnvironmentLock } from "../../lifecycle/snapshots.js";
import { formatBytes } from "../../reporter/human-reporter.js";

/**
 * `homelab restore ENV SNAPSHOT`: the whole cluster goes back to an etcd snapshot. The snapshot
 * is verified before anything is touched; the user types the environment's name; then k3s's
 * documented restore runs (every server stopped, a cluster reset from the snapshot on one
 * server, the others emptied and rejoined) and homelab waits until every node is Ready.
 */
const command: CommandModule = {
  configure(command) {
    command
      .argument("<env>", "environment name (environments/<env>.ts) or path to an environment file")
      .argument("<snapshot>", "a snapshot name from `homelab backup ENV --list`, or the path of a .db file")
      .option("--on <server>", "the server that restores the snapshot (default: the first server)");
    yesOption(command, "restore");
    timeoutOption(command).addHelpText(
      "after",
      "\nEverything written to the cluster after the snapshot was taken is lost. Agents keep running\n" +
        "and reconnect. See docs/05-day-two.md for each step and what to do when one fails.\n\n" +
        "Examples:\n  homelab backup production --list\n  homelab restore production homelab-backup-k3s-prod-server-1-1738332000",
    );
  },
  async run(args, options, context) {
    const [environment, snapshotArgument] = args as [string, string];
    const timeoutMs = parseDuration(String(options.timeout));
    const planned = await loadPlannedEnvironment(context, environment);
    const { plan, layout } = planned;
    const name = plan.environment.name;
    const on = findNode(plan, planned.file, stringOption(options, "on") ?? plan.firstServer.name);
    if (on.role !== "server")
      throw new HomelabError("usage", `--on ${on.name}: it is an agent, and only a server holds etcd`, {
        fix: `Name a server: ${plan.nodes
          .filter((n) => n.role === "server")
          .map((n) => n.name)
          .join(", ")}.`,
      });
    await requireApplied(planned);

    return withEnvironmentLock(context, layout, `homelab restore ${name}`, async () => {
      const file = await resolveSnapshot(layout.snapshotsDir, snapshotArgument, context.cwd);
      const snapshot = await context.reporter.step(`Verifying the snapshot ${snapshotArgument}`, () =>
        verifySnapshot(file),
      );
      const { record } = snapshot;
      if (record.environment !== name) {
        throw new HomelabError(
          "restore-refused",
          `the snapshot ${record.name} was taken of ${record.environment}, not ${name}; nothing was changed`,
          {
            where: { file: snapshot.recordFile },
            fix: `Restore a snapshot of ${name} (\`homelab backup ${name} --list\`). A snapshot holds its own cluster's certificates and token-encrypted data: it cannot become another environment.`,
          },
        );
      }
      context.reporter.info(
        `Snapshot ${record.name}: taken ${record.takenAt} on ${record.node}, ${formatBytes(record.size)}, sha256 ${record.sha256}`,
      );
      await confirmOrRefuse(context, {
        yes: options.yes === true,
        what: `Restoring ${name}`,
        question:
          `This stops k3s on every server of ${name}, resets etcd on ${on.name} to the snapshot and rejoins the others: ` +
          `everything written to the cluster since ${record.takenAt} is lost. Type ${name} to confirm: `,
        expected: [name],
      });
      const outcome = await restoreCluster({
        environment: name,
        servers: snapshotServers(plan, layout),
        restoreOn: on.name,
        snapshot,
        step: (title, work) => context.reporter.step(title, () => work()),
        onWarning: (message) => context.reporter.warn(message),
      });
      context.reporter.success(
        `${name} is restored from ${record.name} on ${outcome.restoredOn}${outcome.rejoined.length > 0 ? `; ${outcome.rejoined.join(", ")} rejoined` : ""}`,
      );
      await waitForEveryNode(context, plan, { timeoutMs });
      context.reporter.result(
        {
          environment: name,
          snapshot: snapshotData(snapshot),
          restoredOn: outcome.restoredOn,
          rejoined: outcome.rejoined,
        },
        `${name} runs from the snapshot ${record.name}: every node is Ready.`,
      );
      return 0;
    });
  },
};

export default command;
