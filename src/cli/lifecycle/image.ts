import { existsSync } from "node:fs";
import { resolve } from "node:path";
import {
  cachedImagePaths,
  type DownloadTimeouts,
  type EnsuredImage,
  ensureFlatcarImage,
  type ImageProgress,
  readShippedSigningKey,
  useLocalImage,
  verifiedCachedImage,
} from "../../image/index.js";
import type { LockedEnvironment } from "../../lock/index.js";
import type { RenderResult } from "../../render/index.js";
import type { CliContext } from "../context.js";
import type { ProgressHandle } from "../reporter/index.js";
import type { RenderedEnvironment } from "./render.js";

/**
 * Download timeouts: homelab's defaults (30 s for a response, 60 s without data), or
 * HOMELAB_DOWNLOAD_TIMEOUT / HOMELAB_DOWNLOAD_IDLE_TIMEOUT in seconds (slow proxies, tests).
 */
export function downloadTimeouts(context: CliContext): DownloadTimeouts {
  const seconds = (name: string): number | undefined => {
    const value = Number(context.env[name]);
    return Number.isFinite(value) && value > 0 ? value * 1000 : undefined;
  };
  const requestMs = seconds("HOMELAB_DOWNLOAD_TIMEOUT");
  const idleMs = seconds("HOMELAB_DOWNLOAD_IDLE_TIMEOUT");
  return {
    ...(requestMs === undefined ? {} : { requestMs }),
    ...(idleMs === undefined ? {} : { idleMs }),
  };
}

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
          timeouts: downloadTimeouts(context),
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

/**
 * The check every command that hands the rendered configuration to OpenTofu (plan, apply,
 * up, replace) makes before tofu runs: the image `main.tf.json` names is verified — the
 * cached image against the lock's sha512 and the Flatcar key that verified it (offline: its
 * verification record, or its cached signature), a local `--image` with the `.sig` beside it.
 * Nothing is downloaded: a missing or unverified cached image is refused with
 * `image-not-verified`, naming `homelab image <env>`. An unsigned local image passes only
 * with `insecureSkipVerify`, loudly.
 */
export async function verifiedImageForTofu(
  context: CliContext,
  render: Pick<RenderResult, "flatcarImage" | "versions" | "plan">,
  options: Pick<ImageOptions, "insecureSkipVerify" | "reverify"> = {},
): Promise<EnsuredImage> {
  const release = render.versions.flatcar;
  const cached = cachedImagePaths(context.paths.cacheRoot, release.channel, release.version).image;
  if (resolve(render.flatcarImage) !== resolve(cached)) {
    return imageForRelease(context, release, { ...options, image: render.flatcarImage });
  }
  const signingKeys = await readShippedSigningKey();
  const bars = progressBars(context, `Flatcar ${release.channel} ${release.version}`);
  try {
    return await verifiedCachedImage({
      signingKeys,
      expectedFingerprint: release.image.signingKeyFingerprint,
      ...(release.image.sha512 ? { expectedSha512: release.image.sha512 } : {}),
      now: () => context.date(),
      onProgress: bars.onProgress,
      channel: release.channel,
      version: release.version,
      cacheRoot: context.paths.cacheRoot,
      reverify: options.reverify === true,
      fetchCommand: `homelab image ${render.plan.environment.name}`,
    });
  } finally {
    bars.finish();
  }
}

/** verifiedImageForTofu as a visible step. */
export function verifiedImageStep(
  context: CliContext,
  render: Pick<RenderResult, "flatcarImage" | "versions" | "plan">,
): Promise<EnsuredImage> {
  const { channel, version } = render.versions.flatcar;
  return context.reporter.step(`Checking the Flatcar ${channel} ${version} image`, () =>
    verifiedImageForTofu(context, render),
  );
}

/**
 * `render --image PATH` writes the path into main.tf.json without verifying it (render
 * touches no image); an image without a signature beside it gets a loud warning, because
 * plan, apply and up will refuse it (unless `up --image PATH --insecure-skip-verify`).
 */
export function warnIfUnsigned(context: CliContext, imagePath: string): void {
  if (existsSync(`${imagePath}.sig`)) return;
  context.reporter.warn(
    `UNVERIFIED IMAGE: ${imagePath} has no signature beside it (${imagePath}.sig). The rendered configuration ` +
      "boots every node from it; `homelab up --image` refuses it unless --insecure-skip-verify is given. Use an image " +
      "downloaded from Flatcar with its .sig, or leave --image out for the verified image of the cache.",
    { code: "image-unverifiable" },
  );
}
