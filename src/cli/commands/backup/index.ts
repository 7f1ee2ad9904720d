import { HomelabError } from "../../../errors/index.js";
import {
  DEFAULT_KEEP_PER_REASON,
  listSnapshots,
  type SnapshotListing,
  takeSnapshotFromAny,
} from "../../../snapshots/index.js";
import type { CommandModule } from "../../command.js";
import type { CliContext } from "../../context.js";
import { loadPlannedEnvironment, requireApplied } from "../../lifecycle/environment.js";
import { environmentArgument } from "../../lifecycle/options.js";
import {
  shownDirectory,
  snapshotData,
  snapshotServers,
  snapshotTable,
  withEnvironmentLock,
} from "../../lifecycle/snapshots.js";
import { formatBytes } from "../../reporter/human-reporter.js";

function parseKeep(text: string): number {
  const keep = Number(text);
  if (!Number.isInteger(keep) || keep < 1 || keep > 1000) {
    throw new HomelabError("usage", `--keep ${JSON.stringify(text)} is not a number of snapshots`, {
      fix: "Keep between 1 and 1000 snapshots, e.g. --keep 10.",
    });
  }
  return keep;
}

function listingLines(context: CliContext, dir: string, listing: SnapshotListing): string[] {
  const lines =
    listing.snapshots.length === 0
      ? [`No snapshots in ${shownDirectory(context, dir)}.`]
      : [
          `${listing.snapshots.length} snapshot${listing.snapshots.length === 1 ? "" : "s"} in ${shownDirectory(context, dir)}, newest first:`,
          ...snapshotTable(listing.snapshots).map((line) => `  ${line}`),
        ];
  return lines;
}

function warnProblems(context: CliContext, listing: SnapshotListing): void {
  for (const problem of listing.problems)
    context.reporter.warn(`${problem.message}; it is not listed and cannot be restored`, {
      code: "snapshot-invalid",
      where: { file: problem.file },
    });
}

/**
 * `homelab backup [ENV]`: an etcd snapshot of the cluster now, taken on the first server that
 * answers over SSH, stored (0600) in the environment's state directory with its record, and
 * older `homelab backup` snapshots beyond `--keep` deleted. `--list` only lists.
 */
const command: CommandModule = {
  configure(command) {
    environmentArgument(command);
    command
      .option("--list", "only list the stored snapshots (newest first)")
      .option(
        "--keep <n>",
        "how many snapshots of `homelab backup` to keep; older ones are deleted",
        String(DEFAULT_KEEP_PER_REASON),
      )
      .addHelpText(
        "after",
        "\nA snapshot holds the whole cluster state, every Secret included: it is stored 0600 in\n" +
          "<state>/<env>/snapshots, never in the repository, and never printed. Restore one with\n" +
          "`homelab restore ENV SNAPSHOT`.\n\nExamples:\n  homelab backup\n  homelab backup production --list\n  homelab backup staging --keep 20 --json",
      );
  },
  async run(args, options, context) {
    const [environment] = args as [string];
    const planned = await loadPlannedEnvironment(context, environment);
    const name = planned.plan.environment.name;
    const dir = planned.layout.snapshotsDir;

    if (options.list === true) {
      const listing = await listSnapshots(dir);
      warnProblems(context, listing);
      context.reporter.result(
        { environment: name, directory: dir, snapshots: listing.snapshots.map(snapshotData) },
        listingLines(context, dir, listing).join("\n"),
      );
      return 0;
    }

    const keep = parseKeep(String(options.keep));
    await requireApplied(planned);
    return withEnvironmentLock(context, planned.layout, `homelab backup ${name}`, async () => {
      const taken = await context.reporter.step(`Taking an etcd snapshot of ${name}`, (step) =>
        takeSnapshotFromAny({
          servers: snapshotServers(planned.plan, planned.layout),
          environment: name,
          snapshotsDir: dir,
          reason: "backup",
          takenAt: context.date(),
          keep,
          onSkipped: (node, why) =>
            context.reporter.warn(`${node} does not answer over SSH (${why}); trying the next server`),
          onProgress: (text) => step.update(text),
          onBytes: (bytes) => step.update(`downloading: ${formatBytes(bytes)}`),
        }),
      );
      const { record } = taken.snapshot;
      context.reporter.success(
        `Snapshot ${record.name} from ${record.node}: ${formatBytes(record.size)}, sha256 ${record.sha256}`,
      );
      for (const pruned of taken.pruned)
        context.reporter.info(`Deleted the older snapshot ${pruned.name} (keeping ${keep})`);
      const listing = await listSnapshots(dir);
      warnProblems(context, listing);
      context.reporter.result(
        {
          environment: name,
          directory: dir,
          snapshot: snapshotData(taken.snapshot),
          pruned: taken.pruned.map((r) => r.name),
          snapshots: listing.snapshots.map(snapshotData),
        },
        listingLines(context, dir, listing).join("\n"),
      );
      return 0;
    });
  },
};

export default command;
