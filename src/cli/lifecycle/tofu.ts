import { hostname } from "node:os";
import { createHostProbes, findTofu, searchDirectories } from "../../doctor/index.js";
import type { RenderResult } from "../../render/index.js";
import {
  processInterrupts,
  type RunLockHolder,
  resolveTofuOverride,
  type TofuBinary,
  TofuRunner,
  tofuNotFoundError,
  tofuStatePaths,
} from "../../runner/index.js";
import { stateLayout } from "../../state/layout.js";
import type { CliContext } from "../context.js";
import { warnIfProviderNotOffline } from "./provider-notice.js";

/**
 * The binary to run: `--tofu`, else $HOMELAB_TOFU, else doctor's lookup (`tofu`, then
 * `terraform`), so that `homelab doctor` checks exactly what runs. Terraform gets a notice.
 */
export async function resolveTofu(context: CliContext, override: string | undefined): Promise<TofuBinary> {
  const wanted = override ?? (context.env.HOMELAB_TOFU || undefined);
  if (wanted !== undefined) return resolveTofuOverride(wanted, context.env.PATH ?? "", context.cwd);
  const found = await findTofu(createHostProbes({ searchPath: context.env.PATH, home: context.paths.home }));
  if (!found)
    throw tofuNotFoundError({
      searched: searchDirectories(context.env.PATH),
      root: process.getuid?.() === 0,
    });
  if (found.program === "terraform") {
    context.reporter.info(
      `OpenTofu (tofu) is not installed; using Terraform${found.version ? ` ${found.version}` : ""} at ${found.path}. ` +
        "Both read the same configuration and state.",
    );
  }
  return { path: found.path, flavor: found.program, source: "path" };
}

/** Whether tofu's own colours suit where the reporter writes. */
function wantsColor(context: CliContext): boolean {
  const stderr = context.stderr as NodeJS.WritableStream & { isTTY?: boolean };
  return (
    !context.reporter.json &&
    stderr.isTTY === true &&
    context.env.NO_COLOR === undefined &&
    context.env.TERM !== "dumb"
  );
}

/** A runner for a rendered environment, streaming tofu's output through the reporter. */
export function createRunner(
  context: CliContext,
  render: Pick<RenderResult, "outDir" | "stateDir">,
  binary: TofuBinary,
): TofuRunner {
  let warned = false;
  return new TofuRunner({
    binary,
    workingDir: render.outDir,
    paths: tofuStatePaths(stateLayout(render.stateDir)),
    env: { ...context.env, CHECKPOINT_DISABLE: context.env.CHECKPOINT_DISABLE ?? "1" },
    onOutput: (line) => context.reporter.stream(binary.flavor, line),
    machineReadable: context.reporter.json,
    color: wantsColor(context),
    interrupts: processInterrupts(),
    onNotice: (message) => context.reporter.warn(message),
    beforeInit: (requiredProviders) =>
      warnIfProviderNotOffline(context, {
        stateDir: render.stateDir,
        workingDir: render.outDir,
        flavor: binary.flavor,
        requiredProviders,
      }),
    onRepeatedInterrupt: () => {
      if (warned) return;
      warned = true;
      context.reporter.warn(
        `${binary.flavor} is stopping after the current operations and writing its state; waiting for it (not interrupting twice).`,
      );
    },
  });
}

/** Who holds the run lock, for the refusal message of a concurrent run. */
export function runLockHolder(context: CliContext, command: string): RunLockHolder {
  return { pid: process.pid, hostname: hostname(), startedAt: context.date().toISOString(), command };
}
