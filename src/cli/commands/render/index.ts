import { access } from "node:fs/promises";
import { LOCK_FILE_NAME, readLock } from "../../../lock/index.js";
import { renderEnvironment } from "../../../render/index.js";
import type { CommandModule } from "../../command.js";
import { renderResultData, renderSummary } from "./summary.js";

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * `homelab render [ENV|PATH] [--out DIR]`: writes main.tf.json, ignition/<node>.ign and
 * butane/<node>.bu for an environment. Validates everything first and replaces the output
 * directory atomically; touches no VM and no OpenTofu state.
 */
const command: CommandModule = {
  configure(command) {
    command
      .argument(
        "[env]",
        "environment name (environments/<env>.ts) or path to an environment file",
        "development",
      )
      .option(
        "--out <dir>",
        "output directory (default: .homelab/<env>); must be new, empty or a previous render",
      )
      .addHelpText(
        "after",
        "\nSame inputs, same bytes: the files depend only on the environment, homelab.lock.json and the\n" +
          "environment's secrets in the state directory (created once). Ignition runs once, so a node\n" +
          "whose Ignition changes is replaced by the next apply.\n\nExamples:\n  homelab render\n" +
          "  homelab render production --out /tmp/prod",
      );
  },
  async run(args, options, context) {
    const [environment] = args as [string];
    const lock = await readLock(context.cwd);
    const lockFile = LOCK_FILE_NAME;
    const result = await context.reporter.step(`Rendering ${environment}`, () =>
      renderEnvironment({
        environment,
        cwd: context.cwd,
        home: context.paths.home,
        stateRoot: context.paths.stateRoot,
        cacheRoot: context.paths.cacheRoot,
        ...(typeof options.out === "string" ? { outDir: options.out } : {}),
        ...(lock ? { lock } : {}),
        lockFile,
      }),
    );
    for (const warning of result.warnings)
      context.reporter.warn(warning.message, warning.where ? { where: warning.where } : {});
    const imagePresent = await exists(result.flatcarImage);
    context.reporter.result(
      renderResultData(result, imagePresent),
      renderSummary(result, { cwd: context.cwd, home: context.paths.home, imagePresent }),
    );
    return 0;
  },
};

export default command;
