import type { Environment } from "../environment/schema.js";
import type { SourceLocation } from "../errors/index.js";
import { BOOTSTRAP_PATHS, fluxRelease } from "../gitops/bootstrap.js";
import type { FluxRelease } from "../gitops/flux-release.js";
import { ADDON_IMAGES, LOCK_FILE_NAME, type LockedEnvironment } from "../lock/index.js";
import { K3S_AIRGAP_IMAGES_FILE } from "../pins/index.js";
import { addonImageCachePath } from "./addon-image.js";

/** The files homelab delivers to nodes from its cache instead of letting them download. */
export type ArtifactKind = "k3s" | "k3s-airgap-images" | "flux-install" | "addon-image";

/** One artifact: where it comes from, what it must hash to, where it goes on a node. */
export interface ArtifactSpec {
  readonly kind: ArtifactKind;
  /** The environment it is for (messages name the command to run). */
  readonly environment: string;
  /** For messages: "k3s v1.34.10+k3s1 binary". */
  readonly title: string;
  readonly version: string;
  /** https:// URL it is downloaded from, once, on the machine that runs homelab. */
  readonly url: string;
  /** Lowercase hex SHA-256: from homelab.lock.json (k3s) or homelab's Flux pins. */
  readonly sha256: string;
  /** Path under `<cacheRoot>/artifacts/`: `<kind>/<version>/<file>`. */
  readonly cachePath: string;
  /** Its name in the artifact volume (a flat, fixed, shell-safe name). */
  readonly entry: string;
  /** Where the first-boot unit installs it on a node, and with which mode. */
  readonly target: string;
  readonly mode: number;
  /** Which nodes install it: every node, every server, or only the server that starts the cluster. */
  readonly installOn: "every-node" | "servers" | "first-server";
  /**
   * For an add-on image: the registry reference and manifest digest it is pulled by. The cache
   * holds homelab's archive of it, which `sha256` pins (the archive is deterministic).
   */
  readonly image?: { readonly reference: string; readonly digest: string };
  /** Where its hash is recorded, for errors. */
  readonly recordedAt: SourceLocation;
}

/** Where k3s imports image archives from at start (docs.k3s.io/installation/airgap, "Manually deploy images"). */
export const K3S_AGENT_IMAGES_DIR = "/var/lib/rancher/k3s/agent/images";

export interface ArtifactsForEnvironmentOptions {
  /** The lock file as the user types it; default homelab.lock.json. */
  readonly lockFile?: string;
  /** A stand-in Flux release (tests serve their own manifest); default FLUX_RELEASES by version. */
  readonly fluxRelease?: FluxRelease;
}

/**
 * What an environment's nodes need from the cache, in installation order (k3s last: the
 * first-boot unit installs it last, so a present /opt/bin/k3s means everything else is there):
 * Flux's install manifest when the environment uses GitOps (first server only), k3s's air-gap
 * images when it delivers them (`artifacts.airgapImages`, default `offline`), homelab's add-on
 * images when the lock entry records them (`artifacts.addonImages`, default `offline`), the k3s binary.
 * Pure: hashes and URLs come from the resolved lock entry and homelab's Flux pins.
 */
export function artifactsForEnvironment(
  environment: Environment,
  locked: LockedEnvironment,
  options: ArtifactsForEnvironmentOptions = {},
): ArtifactSpec[] {
  const lockFile = options.lockFile ?? LOCK_FILE_NAME;
  const name = environment.name;
  const k3sVersion = locked.k3s.version;
  const specs: ArtifactSpec[] = [];
  const lockedImages = locked.images;
  if (environment.gitops) {
    const release = options.fluxRelease ?? fluxRelease(locked.flux?.version, name, lockFile);
    specs.push({
      kind: "flux-install",
      environment: name,
      title: `Flux ${release.version} install manifest`,
      version: release.version,
      url: release.installManifest.url,
      sha256: release.installManifest.sha256,
      cachePath: `flux/${release.version}/install.yaml`,
      entry: "flux-install.yaml",
      target: BOOTSTRAP_PATHS.fluxInstall,
      mode: 0o600,
      installOn: "first-server",
      recordedAt: { file: lockFile, path: `environments.${name}.flux.version` },
    });
  }
  if (locked.k3s.airgapImages) {
    specs.push({
      kind: "k3s-airgap-images",
      environment: name,
      title: `k3s ${k3sVersion} air-gap images`,
      version: k3sVersion,
      url: locked.k3s.airgapImages.url,
      sha256: locked.k3s.airgapImages.sha256,
      cachePath: `k3s/${k3sVersion}/${K3S_AIRGAP_IMAGES_FILE}`,
      entry: K3S_AIRGAP_IMAGES_FILE,
      target: `${K3S_AGENT_IMAGES_DIR}/${K3S_AIRGAP_IMAGES_FILE}`,
      mode: 0o644,
      installOn: "every-node",
      recordedAt: { file: lockFile, path: `environments.${name}.k3s.airgapImages.sha256` },
    });
  }
  for (const image of ADDON_IMAGES) {
    const locked = lockedImages?.[image.key];
    if (!locked) continue;
    specs.push({
      kind: "addon-image",
      environment: name,
      title: `${image.title} ${locked.reference}`,
      version: locked.reference.slice(locked.reference.lastIndexOf(":") + 1),
      url: `${locked.reference}@${locked.digest}`,
      sha256: locked.archive.sha256,
      cachePath: addonImageCachePath(image.key, locked.digest),
      entry: `${image.key}-image.tar`,
      // k3s imports every *.tar in its images directory at start (see K3S_AGENT_IMAGES_DIR).
      target: `${K3S_AGENT_IMAGES_DIR}/homelab-${image.key}.tar`,
      mode: 0o644,
      installOn: image.installOn,
      image: { reference: locked.reference, digest: locked.digest },
      recordedAt: { file: lockFile, path: `environments.${name}.images.${image.key}.archive.sha256` },
    });
  }
  specs.push({
    kind: "k3s",
    environment: name,
    title: `k3s ${k3sVersion} binary`,
    version: k3sVersion,
    url: locked.k3s.binary.url,
    sha256: locked.k3s.binary.sha256,
    cachePath: `k3s/${k3sVersion}/k3s`,
    entry: "k3s",
    target: "/opt/bin/k3s",
    mode: 0o755,
    installOn: "every-node",
    recordedAt: { file: lockFile, path: `environments.${name}.k3s.binary.sha256` },
  });
  return specs;
}
