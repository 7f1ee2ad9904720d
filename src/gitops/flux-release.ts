/**
 * The Flux release the bootstrap installs. The first server's Ignition fetches Flux's release
 * manifest (`install.yaml`: namespace, CRDs, controllers) once, at first boot, and Ignition
 * refuses it unless its SHA-256 matches — the same verification as the k3s binary. Nothing is
 * downloaded by homelab itself, so the hash below is the whole trust anchor: it must come from
 * a published source, never from a download on this machine.
 *
 * v2.9.5 — sha256 of `install.yaml` as pinned by at least eight independent public projects
 * (Nix `fetchurl` hashes, artifact tables, lock files; research notes of 2026-11-27). Flux 2.9
 * needs Kubernetes ≥ 1.33; homelab's k3s pin is 1.34.
 *
 * Upgrading: change the version, URL and hash together (take the hash from the release's
 * `flux_<version>_checksums.txt`), then replace the first server — Ignition runs once.
 */
export interface FluxRelease {
  /** `v<major>.<minor>.<patch>`, as in homelab.lock.json's `flux.version`. */
  readonly version: string;
  readonly installManifest: {
    /** https:// URL of the release asset `install.yaml`. */
    readonly url: string;
    /** Lowercase hex SHA-256 of that file (Ignition `verification.hash: sha256-…`). */
    readonly sha256: string;
  };
}

/** The release download URL of a Flux version's `install.yaml`. */
export function fluxInstallManifestUrl(version: string): string {
  return `https://github.com/fluxcd/flux2/releases/download/${version}/install.yaml`;
}

/** Flux releases with a known, independently confirmed install manifest hash, by version. */
export const FLUX_RELEASES: Readonly<Record<string, FluxRelease>> = {
  "v2.9.5": {
    version: "v2.9.5",
    installManifest: {
      url: fluxInstallManifestUrl("v2.9.5"),
      sha256: "cc3dcd743af16215838b6937e1fce83745bf24c0dcc6c59737c59df15429caaf",
    },
  },
};

/** The Flux version a new environment gets (and homelab.lock.json records). */
export const DEFAULT_FLUX_VERSION = "v2.9.5";
