import { access } from "node:fs/promises";
import type { CommandModule } from "../../command.js";
import { warnIfUnsigned } from "../../lifecycle/image.js";
import { environmentArgument, newSecretsOption, newSecretsRender } from "../../lifecycle/options.js";
import { renderWithContext } from "../../lifecycle/render.js";
import { withEnvironmentRunLock } from "../../lifecycle/session.js";
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
 * directory atomically; touches no VM and no OpenTofu state. The main.tf.json it writes is the
 * next step of the rollout (see src/rollout): at most one machine due for a rebuild is released.
 */
const command: CommandModule = {
  configure(command) {
    newSecretsOption(environmentArgument(command))
      .option(
        "--out <dir>",
        "output directory (default: .homelab/<env>); must be new, empty or a previous render",
      )
      .option(
        "--image <path>",
        "Flatcar image the OpenTofu config uploads (default: the verified image in homelab's cache)",
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
    // Under the run lock: a render beside a running apply would rewrite the files it applies.
    const { render: result } = await withEnvironmentRunLock(
      context,
      environment,
      `homelab render ${environment}`,
      () =>
        renderWithContext(context, environment, {
          ...(typeof options.out === "string" ? { outDir: options.out } : {}),
          ...(typeof options.image === "string" ? { flatcarImage: options.image } : {}),
          ...newSecretsRender(options),
        }),
      // Another render finishes in a moment: wait for it. An apply holds the lock for longer.
      { waitMs: 20_000 },
    );
    const imagePresent = await exists(result.flatcarImage);
    if (typeof options.image === "string") warnIfUnsigned(context, result.flatcarImage);
    context.reporter.result(
      renderResultData(result, imagePresent),
      renderSummary(result, { cwd: context.cwd, home: context.paths.home, imagePresent }),
    );
    return 0;
  },
};

export default command;
