import {
  type EnsuredImage,
  ensureFlatcarImage,
  FLATCAR_SIGNING_KEY_FINGERPRINT,
  flatcarImageUrls,
  flatcarReleaseUrl,
  readShippedSigningKey,
} from "../../image/index.js";
import type { CliContext } from "../context.js";
import type { RenderedEnvironment } from "./render.js";

/**
 * `up`'s image step: the environment's pinned Flatcar image, downloaded and verified into the
 * cache when it is not there yet (the same call as `homelab image`). URLs and the expected
 * sha512 come from homelab.lock.json when it pins this release, else from Flatcar's canonical
 * release directory.
 */
export async function ensureImageStep(
  context: CliContext,
  { render, lock: lockFile }: RenderedEnvironment,
): Promise<EnsuredImage> {
  const { channel, version } = render.versions.flatcar;
  const lock = lockFile?.environments[render.plan.environment.name];
  const locked =
    lock?.flatcar.channel === channel && lock.flatcar.version === version ? lock.flatcar.image : undefined;
  const urls = locked ?? flatcarImageUrls(flatcarReleaseUrl(channel, version));
  const signingKeys = await readShippedSigningKey();
  let bar: ReturnType<typeof context.reporter.progress> | undefined;
  const image = await context.reporter.step(`Flatcar ${channel} ${version} image`, (step) =>
    ensureFlatcarImage({
      channel,
      version,
      cacheRoot: context.paths.cacheRoot,
      imageUrl: urls.url,
      signatureUrl: urls.signatureUrl,
      signingKeys,
      expectedFingerprint: locked?.signingKeyFingerprint ?? FLATCAR_SIGNING_KEY_FINGERPRINT,
      ...(locked?.sha512 ? { expectedSha512: locked.sha512 } : {}),
      fetch: (url, init) => fetch(url, init),
      now: () => context.date(),
      onProgress: (progress) => {
        if (progress.phase === "download") {
          bar ??= context.reporter.progress("Downloading", progress.total, "bytes");
          bar.update(progress.done, progress.total);
        } else {
          const total = progress.total ?? 0;
          step.update(
            total > 0
              ? `verifying the signature (${Math.round((progress.done / total) * 100)}%)`
              : "verifying the signature",
          );
        }
      },
    }),
  );
  bar?.finish();
  for (const warning of image.warnings) context.reporter.warn(warning);
  return image;
}
