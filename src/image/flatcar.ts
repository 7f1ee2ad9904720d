import { join } from "node:path";

/**
 * Facts about Flatcar's published images (flatcar.org docs, "Running Flatcar on libvirt"):
 * every release directory holds the uncompressed QEMU image and a binary detached OpenPGP
 * signature beside it, plus DIGESTS files signed with the same key.
 */

export type FlatcarChannel = "stable" | "beta" | "alpha" | "lts";

/** The QEMU image homelab boots (qcow2 despite the .img name). */
export const FLATCAR_IMAGE_FILE = "flatcar_production_qemu_image.img";

/** Primary key of "Flatcar Buildbot (Official Builds)"; the shipped key file must carry it. */
export const FLATCAR_SIGNING_KEY_FINGERPRINT = "F88CFEDEFF29A5B4D9523864E25D9AED0593B34A";

/** The canonical release directory of a version: `https://<channel>.release.flatcar-linux.net/amd64-usr/<version>`. */
export function flatcarReleaseUrl(
  channel: FlatcarChannel,
  version: string,
  base = `https://${channel}.release.flatcar-linux.net/amd64-usr`,
): string {
  return `${base.replace(/\/+$/, "")}/${version}`;
}

export interface FlatcarImageUrls {
  readonly url: string;
  readonly signatureUrl: string;
  readonly digestsUrl: string;
  /** Signature of the DIGESTS file (`.DIGESTS.asc`). */
  readonly digestsSignatureUrl: string;
}

/** Image, signature and DIGESTS URLs of a release directory. */
export function flatcarImageUrls(releaseUrl: string): FlatcarImageUrls {
  const url = `${releaseUrl.replace(/\/+$/, "")}/${FLATCAR_IMAGE_FILE}`;
  return {
    url,
    signatureUrl: `${url}.sig`,
    digestsUrl: `${url}.DIGESTS`,
    digestsSignatureUrl: `${url}.DIGESTS.asc`,
  };
}

/** The cache directory of one image: `<cacheRoot>/images/flatcar/<channel>/<version>/`. */
export function flatcarImageDir(cacheRoot: string, channel: FlatcarChannel, version: string): string {
  return join(cacheRoot, "images", "flatcar", channel, version);
}

/** Files of one cached image. Only a verified image ever sits at `image`. */
export interface CachedImagePaths {
  readonly dir: string;
  readonly image: string;
  /** Download in progress (resumable); never used by anything but the downloader. */
  readonly part: string;
  readonly signature: string;
  /** What was verified (size, mtime, sha512, signing key), to skip re-reading 500 MB on every `up`. */
  readonly record: string;
}

export function cachedImagePaths(
  cacheRoot: string,
  channel: FlatcarChannel,
  version: string,
): CachedImagePaths {
  const dir = flatcarImageDir(cacheRoot, channel, version);
  const image = join(dir, FLATCAR_IMAGE_FILE);
  return { dir, image, part: `${image}.part`, signature: `${image}.sig`, record: `${image}.verified.json` };
}
