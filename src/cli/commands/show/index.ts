import { loadEnvironment } from "../../../environment/index.js";
import { HomelabError } from "../../../errors/index.js";
import { LOCK_FILE_NAME, readLock } from "../../../lock/index.js";
import { planLoadedEnvironment } from "../../../plan/index.js";
import { resolveVersions } from "../../../render/index.js";
import type { CommandModule } from "../../command.js";
import { warnIfNameMismatch } from "../../lifecycle/environment-name.js";
import { environmentArgument } from "../../lifecycle/options.js";
import { drawEnvironment } from "./diagram.js";

const DEFAULT_WIDTH = 80;

function terminalWidth(stream: NodeJS.WritableStream): number {
  const { columns, isTTY } = stream as NodeJS.WritableStream & { columns?: number; isTTY?: boolean };
  return isTTY && columns ? columns : DEFAULT_WIDTH;
}

/**
 * `homelab show [ENV]`: the environment drawn in the terminal (host, libvirt, nodes with role,
 * address and size, k3s and Flatcar versions), or the plan as data with `--json`. Reads the
 * environment and the lock file only: no libvirt, no secrets, nothing written.
 */
const command: CommandModule = {
  configure(command) {
    environmentArgument(command)
      .option("--ascii", "draw with plain ASCII instead of box-drawing characters")
      .option("--width <columns>", "drawing width (default: the terminal's, or 80)")
      .addHelpText(
        "after",
        "\nReads the environment and homelab.lock.json only: no libvirt, no secrets, nothing written.\n\n" +
          "Examples:\n  homelab show\n  homelab show production --ascii --width 100\n  homelab show staging --json | jq '.nodes[].address'",
      );
  },
  async run(args, options, context) {
    const [name] = args as [string];
    let width = terminalWidth(context.stdout);
    if (options.width !== undefined) {
      width = Number(options.width);
      if (!Number.isInteger(width) || width < 1) {
        throw new HomelabError(
          "usage",
          `--width must be a number of columns, not "${String(options.width)}"`,
          {
            fix: "Pass e.g. --width 100.",
          },
        );
      }
    }
    const loaded = await loadEnvironment(name, { cwd: context.cwd, home: context.paths.home });
    await warnIfNameMismatch(context, loaded);
    const plan = await planLoadedEnvironment(loaded);
    const lock = await readLock(context.cwd);
    const lockFile = LOCK_FILE_NAME;
    const { versions, warnings } = resolveVersions(loaded.environment, lock, {
      environmentFile: loaded.file,
      lockFile,
    });
    for (const warning of [...plan.warnings, ...warnings]) {
      context.reporter.warn(warning.message, warning.where ? { where: warning.where } : {});
    }
    const drawing = drawEnvironment(
      { plan, versions, environmentFile: loaded.file },
      { width, ascii: options.ascii === true },
    );
    context.reporter.result(
      { file: loaded.file, versions, plan: { ...plan, firstServer: plan.firstServer.name } },
      drawing,
    );
    return 0;
  },
};

export default command;
