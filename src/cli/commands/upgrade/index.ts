import { LOCK_FILE_NAME, writeLock } from "../../../lock/index.js";
import type { ComponentChange } from "../../../upgrade/index.js";
import type { CommandModule } from "../../command.js";
import { applyEnvironment } from "../../lifecycle/apply-flow.js";
import { ensureImageStep, verifiedImageStep } from "../../lifecycle/image.js";
import {
  environmentArgument,
  rollOptions,
  stringOption,
  tofuOption,
  yesOption,
} from "../../lifecycle/options.js";
import { releaseSources } from "../../lifecycle/release-sources.js";
import { renderWithContext } from "../../lifecycle/render.js";
import { keepTofuExitStatus, withEnvironmentRunLock, withSession } from "../../lifecycle/session.js";
import { etcdSnapshots } from "../../lifecycle/snapshots.js";
import { proposeUpgrade, type UpgradeProposal } from "./proposal.js";

function describeChange(what: string, change: ComponentChange): string {
  if (change.direction === "none") return `${what} ${change.to} (unchanged)`;
  if (change.from === change.to)
    return `${what} ${change.to} (locked already; nodes still on an older release roll to it)`;
  return `${what} ${change.from} → ${change.to}${change.direction === "downgrade" ? " (downgrade)" : ""}`;
}

/**
 * `homelab upgrade [ENV] [--k3s V] [--flatcar V]`: moves the environment's k3s and/or Flatcar
 * to the given releases, or to homelab's pins. Holding the run lock, it reads what every node
 * runs, refuses what k3s's version skew rules forbid (src/upgrade), verifies the new artifacts
 * as `homelab lock --update` does, renders with the proposed lock, shows the plan and the roll,
 * asks once, and only then writes homelab.lock.json and rolls — servers before agents for a
 * k3s upgrade. A refusal or an error before the confirmation leaves homelab.lock.json as it was.
 */
const command: CommandModule = {
  configure(command) {
    environmentArgument(command);
    tofuOption(command);
    rollOptions(command);
    yesOption(command, "upgrade")
      .option("--k3s <version>", "the k3s release to move to, e.g. v1.35.1+k3s1 (default: homelab's pin)")
      .option(
        "--flatcar <version>",
        "the Flatcar release of the environment's channel, e.g. 4802.1.0 (default: homelab's pin)",
      )
      .option("--allow-downgrade", "allow going back to an older release (agents then roll before servers)")
      .option(
        "--offline",
        "take hashes from homelab's own pins instead of the published release metadata (only versions homelab pins)",
      )
      .addHelpText(
        "after",
        "\nWithout --k3s and --flatcar both move to homelab's pins. k3s moves one minor version at a\n" +
          "time (1.33 → 1.35 is refused: upgrade to 1.34 first), servers before agents. homelab.lock.json\n" +
          "is written only after you confirm. A stopped roll resumes with the same command.\n\n" +
          "Examples:\n  homelab upgrade\n  homelab upgrade production --k3s v1.35.1+k3s1\n" +
          "  homelab upgrade staging --flatcar 4802.1.0 --yes",
      );
  },
  async run(args, options, context) {
    const [environment] = args as [string];
    const roll = rollOptions.parse(options);
    const k3s = stringOption(options, "k3s");
    const flatcar = stringOption(options, "flatcar");
    const sources = releaseSources(context.env);
    let proposal: UpgradeProposal | undefined;
    let written = false;
    // Once the proposal was rendered into .homelab/<env>/ but the lock file stays as it was
    // (refused, or failed before the confirmation), the render directory goes back to what the
    // lock file says, so that a hand-run `tofu apply` there never applies an upgrade nobody
    // confirmed. A refusal in `prepare` renders nothing in the first place.
    const restoreRender = async () => {
      if (proposal === undefined || !proposal.lockChanged || written) return;
      await withEnvironmentRunLock(context, environment, `homelab upgrade ${environment}`, () =>
        renderWithContext(context, environment, { quiet: true }),
      ).catch(() => undefined);
    };
    let status: number;
    try {
      status = await keepTofuExitStatus(context, () =>
        withSession(
          context,
          {
            environment,
            tofu: stringOption(options, "tofu"),
            command: `homelab upgrade ${environment}`,
            prepare: async () => {
              proposal = await proposeUpgrade(context, environment, {
                request: {
                  ...(k3s === undefined ? {} : { k3s }),
                  ...(flatcar === undefined ? {} : { flatcar }),
                  allowDowngrade: options.allowDowngrade === true,
                },
                offline: options.offline === true,
                sources,
              });
              return { lock: proposal.lock };
            },
          },
          async (session) => {
            const proposed = proposal!;
            const { plan } = proposed;
            const name = session.render.plan.environment.name;
            for (const note of plan.notes) context.reporter.info(note);
            context.reporter.info(
              [
                `Upgrade of ${name}:`,
                `  ${describeChange("k3s", plan.k3s)}`,
                `  ${describeChange("Flatcar", plan.flatcar)}`,
                `  roll order: ${plan.serversFirst ? "servers first, then agents (k3s's upgrade order)" : "agents first, then servers"}`,
                "If the roll stops, run this command again: it resumes in the same order.",
              ].join("\n"),
              { event: "upgrade", k3s: plan.k3s, flatcar: plan.flatcar, serversFirst: plan.serversFirst },
            );
            // As apply: OpenTofu only ever gets a verified image (a new release was downloaded above).
            await verifiedImageStep(context, session.render);
            const outcome = await applyEnvironment(context, session, {
              ...roll,
              serversFirst: plan.serversFirst,
              snapshots: etcdSnapshots,
              yes: options.yes === true,
              what: `Upgrading ${name}`,
              question: `Upgrade ${name}?`,
              onConfirmed: async () => {
                if (!proposed.lockChanged) return;
                const path = await writeLock(context.cwd, proposed.lock);
                written = true;
                context.reporter.info(`Wrote ${path}`, { lockFile: path });
              },
            });
            context.reporter.result(
              {
                environment: name,
                applied: outcome.applied,
                lockWritten: written,
                k3s: plan.k3s,
                flatcar: plan.flatcar,
                serversFirst: plan.serversFirst,
                ...outcome.data,
              },
              outcome.applied
                ? `Upgraded ${name}.`
                : `Nothing applied; ${LOCK_FILE_NAME} ${written ? "was updated" : "is unchanged"}.`,
            );
            return 0;
          },
          async (rendered) => {
            if (proposal?.flatcarChanged) await ensureImageStep(context, rendered);
          },
        ),
      );
    } catch (error) {
      await restoreRender();
      throw error;
    }
    await restoreRender();
    return status;
  },
};

export default command;
