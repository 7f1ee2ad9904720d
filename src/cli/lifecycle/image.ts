import type { EnsuredImage } from "../../image/index.js";
import { type ImageForEnvironmentOptions, imageForRelease } from "../commands/image/for-environment.js";
import type { CliContext } from "../context.js";
import type { RenderedEnvironment } from "./render.js";

/**
 * `up`'s image step: the release render resolved (environment pin, then homelab.lock.json,
 * then homelab's pins), downloaded and verified into the cache when it is not there yet, or
 * the local `--image` file, verified the same way — the same call as `homelab image`.
 */
export async function ensureImageStep(
  context: CliContext,
  { render }: RenderedEnvironment,
  options: ImageForEnvironmentOptions = {},
): Promise<EnsuredImage> {
  const { channel, version } = render.versions.flatcar;
  return context.reporter.step(`Flatcar ${channel} ${version} image`, () =>
    imageForRelease(context, render.versions.flatcar, options),
  );
}
