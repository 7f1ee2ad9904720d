import { loadEnvironment } from "../../../environment/index.js";
import type { EnsuredImage } from "../../../image/index.js";
import { readLock, resolveLockedEnvironment } from "../../../lock/index.js";
import type { CliContext } from "../../context.js";
import { warnIfNameMismatch } from "../../lifecycle/environment-name.js";
import { type ImageOptions, imageForRelease } from "../../lifecycle/image.js";

/** `homelab image [ENV]`: the environment's release from its file and homelab.lock.json. */
export async function imageForEnvironment(
  environmentName: string,
  context: CliContext,
  options: ImageOptions = {},
): Promise<EnsuredImage> {
  const loaded = await loadEnvironment(environmentName, { cwd: context.cwd, home: context.paths.home });
  await warnIfNameMismatch(context, loaded);
  const lock = await readLock(context.cwd);
  const locked = resolveLockedEnvironment(loaded.environment, lock, undefined, {
    environmentFile: loaded.file,
    onWarning: (warning) =>
      context.reporter.warn(`${warning.message}. ${warning.fix}`, { code: "lock-missing-artifact" }),
  });
  return imageForRelease(context, locked.flatcar, options);
}
