/**
 * Versions homelab uses when an environment does not pin its own, and the artifact hashes it
 * knows for them. Every hash here was taken from a published source (see the comment next to
 * it); none is computed from a download on this machine. `homelab.lock.json` records what an
 * environment actually resolved to; these pins only seed it.
 */

export interface PinnedArtifact {
  /** https:// URL Ignition fetches the artifact from. */
  readonly url: string;
  /** Lowercase hex SHA-256 of the artifact (Ignition `verification.hash: sha256-…`). */
  readonly sha256: string;
}

/** The k3s release a new environment gets. */
export const DEFAULT_K3S_VERSION = "v1.34.10+k3s1";

/** The release download URL of the amd64 `k3s` binary of a version (`+` encoded as `%2B`). */
export function k3sBinaryUrl(version: string): string {
  return `https://github.com/k3s-io/k3s/releases/download/${encodeURIComponent(version)}/k3s`;
}

/**
 * amd64 `k3s` binaries with a known SHA-256, by k3s version.
 *
 * - v1.34.10+k3s1 (published 2026-07-29, the 1.34 release on k3s's stable channel in August
 *   2026): SHA-256 as pinned by seven independent public projects that all agree (install
 *   records, upgrade scripts, artifact tables citing the release's `sha256sum-amd64.txt`).
 * - v1.34.2+k3s1: SHA-256 as pinned (SHA256_CHECK_SUM for VERSION_V1_34_2_K3S_1) by a public
 *   installer script (not re-checked against the release's `sha256sum-amd64.txt` here: no
 *   network on the build machines).
 */
export const K3S_BINARIES: Readonly<Record<string, PinnedArtifact>> = {
  "v1.34.10+k3s1": {
    url: k3sBinaryUrl("v1.34.10+k3s1"),
    sha256: "e63a3511b2603fd1436a1ea8d228348a3b47334b45024801d41a8c0e2d22e8c4",
  },
  "v1.34.2+k3s1": {
    url: k3sBinaryUrl("v1.34.2+k3s1"),
    sha256: "15811d34187e03fe29d0e46108c42cc33e62cec1b3d9d80f50944536ebcad40a",
  },
};

/** The file name of the archive, as listed in the release's `sha256sum-amd64.txt`. */
export const K3S_AIRGAP_IMAGES_FILE = "k3s-airgap-images-amd64.tar.zst";

/** The release download URL of k3s's amd64 air-gap image archive (the images k3s itself runs). */
export function k3sAirgapImagesUrl(version: string): string {
  return `https://github.com/k3s-io/k3s/releases/download/${encodeURIComponent(version)}/${K3S_AIRGAP_IMAGES_FILE}`;
}

/**
 * amd64 air-gap image archives with a known SHA-256, by k3s version. Delivered to the nodes
 * only when an environment asks for them (`artifacts.airgapImages`, or `offline: true`);
 * `homelab lock --update` reads the hash from the release's `sha256sum-amd64.txt` and refuses
 * one that contradicts these.
 *
 * - v1.34.10+k3s1: as pinned by one public provisioning tool (a table of reviewed release
 *   assets whose k3s binary hash for this version is the seven-times-confirmed one above).
 * - v1.34.2+k3s1: as pinned (SHA256_CHECK_SUM) by the same public installer script as the
 *   binary above.
 * Neither re-checked against the release's checksum file here (no network on the build machines).
 */
export const K3S_AIRGAP_IMAGES: Readonly<Record<string, PinnedArtifact>> = {
  "v1.34.10+k3s1": {
    url: k3sAirgapImagesUrl("v1.34.10+k3s1"),
    sha256: "7e59087b6a72e00db45a3bcb4f144114b13eb72dc8947c2b7908a0e1482b42b3",
  },
  "v1.34.2+k3s1": {
    url: k3sAirgapImagesUrl("v1.34.2+k3s1"),
    sha256: "24359781bd775f513691e98031853d79eac53e265f7d72d1e7325df4f3b18eb0",
  },
};

/** Flatcar channels homelab knows. */
export type FlatcarChannel = "stable" | "beta" | "alpha" | "lts";

/**
 * The Flatcar release a new environment gets, per channel. Only channels with a release homelab
 * could confirm are listed: stable 4757.2.1 (GA on stable in September 2026; pinned by public
 * libvirt projects and release notes). An environment on another channel must pin
 * `flatcar.version` itself (the image is still verified against Flatcar's signing key).
 */
export const DEFAULT_FLATCAR: Readonly<Partial<Record<FlatcarChannel, string>>> = {
  stable: "4757.2.1",
};

/** dmacvicar/libvirt provider version the OpenTofu config requires. */
export const LIBVIRT_PROVIDER_VERSION = "0.9.7";
