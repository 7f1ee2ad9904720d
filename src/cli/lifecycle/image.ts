import {
  type EnsuredImage,
  ensureFlatcarImage,
  type ImageProgress,
  readShippedSigningKey,
  useLocalImage,
} from "../../image/index.js";
import type { LockedEnvironment } from "../../lock/index.js";
import type { CliContext } from "../context.js";
import type { ProgressHandle } from "../reporter/index.js";
import type { RenderedEnvironment } from "./render.js";

/** Turns image progress events into two reporter progress bars (download, then verification). */
function progressBars(
  context: CliContext,
  title: string,
): { onProgress: (event: ImageProgress) => void; finish: () => void } {
  let current: { phase: ImageProgress["phase"]; handle: ProgressHandle } | undefined;
  return {
    onProgress: (event) => {
      if (current?.phase !== event.phase) {
        current?.handle.finish();
        const label = event.phase === "download" ? `Downloading ${title}` : `Verifying ${title}`;
        current = { phase: event.phase, handle: context.reporter.progress(label, event.total, "bytes") };
      }
      current.handle.update(event.done, event.total);
    },
    finish: () => current?.handle.finish(),
  };
}

export interface ImageOptions {
  /** `--image PATH`: a local image instead of the pinned download. */
  readonly image?: string;
  readonly insecureSkipVerify?: boolean;
  /** Verify a cached image again. */
  readonly reverify?: boolean;
}

/** The Flatcar release an environment resolved to (render's versions, or the lock). */
export interface FlatcarRelease {
  readonly channel: LockedEnvironment["flatcar"]["channel"];
  readonly version: string;
  readonly image: LockedEnvironment["flatcar"]["image"];
}

/**
 * The verified Flatcar image of a release (downloaded into the cache when missing), or a local
 * `--image` file verified with the `.sig` beside it; progress bars and warnings on the reporter.
 * Used by `homelab image` and `homelab up`.
 */
export async function imageForRelease(
  context: CliContext,
  release: FlatcarRelease,
  options: ImageOptions = {},
): Promise<EnsuredImage> {
  const signingKeys = await readShippedSigningKey();
  const title = `Flatcar ${release.channel} ${release.version}`;
  const bars = progressBars(context, title);
  const verification = {
    signingKeys,
    expectedFingerprint: release.image.signingKeyFingerprint,
    ...(release.image.sha512 ? { expectedSha512: release.image.sha512 } : {}),
    now: () => context.date(),
    onProgress: bars.onProgress,
  };
  try {
    const image = options.image
      ? await useLocalImage({
          ...verification,
          path: options.image,
          insecureSkipVerify: options.insecureSkipVerify === true,
        })
      : await ensureFlatcarImage({
          ...verification,
          channel: release.channel,
          version: release.version,
          cacheRoot: context.paths.cacheRoot,
          imageUrl: release.image.url,
          signatureUrl: release.image.signatureUrl,
          fetch: (url, init) => fetch(url, init),
          reverify: options.reverify === true,
        });
    bars.finish();
    for (const warning of image.warnings) context.reporter.warn(warning, { code: "image-unverifiable" });
    return image;
  } catch (error) {
    bars.finish();
    throw error;
  }
}

/**
 * `up`'s image step: the release render resolved (environment pin, then homelab.lock.json,
 * then homelab's pins), downloaded and verified into the cache when it is not there yet, or
 * the local `--image` file, verified the same way — the same call as `homelab image`.
 */
export async function ensureImageStep(
  context: CliContext,
  { render }: RenderedEnvironment,
  options: ImageOptions = {},
): Promise<EnsuredImage> {
  const { channel, version } = render.versions.flatcar;
  return context.reporter.step(`Flatcar ${channel} ${version} image`, () =>
    imageForRelease(context, render.versions.flatcar, options),
  );
}
