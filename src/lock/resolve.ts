import type { Environment } from "../environment/schema.js";
import { HomelabError } from "../errors/index.js";
import { FLATCAR_SIGNING_KEY_FINGERPRINT, flatcarImageUrls, flatcarReleaseUrl } from "../image/flatcar.js";
import { ADDON_IMAGES } from "./addon-images.js";
import { BUILTIN_PINS, type HomelabPins } from "./pins.js";
import { LOCK_FILE_NAME, type LockedEnvironment, type LockFile } from "./schema.js";

export interface LockWarning {
  readonly message: string;
  readonly fix: string;
}

export interface ResolveLockOptions {
  /** Called for each thing the user should hear about (not locked yet, lock out of date). */
  readonly onWarning?: (warning: LockWarning) => void;
  /** The environment file as the user types it, for error locations. */
  readonly environmentFile?: string;
}

type Channel = Environment["flatcar"]["channel"];

/**
 * Whether an environment delivers k3s's air-gap image archive to its nodes: when it says so
 * (`artifacts.airgapImages`), else when it is `offline` — without the archive k3s pulls its
 * own images (pause, CoreDNS, local-path, metrics-server) from the internet at first start.
 */
export function wantsAirgapImages(environment: Environment): boolean {
  return environment.artifacts?.airgapImages ?? environment.offline;
}

/**
 * Whether an environment delivers homelab's add-on images (kube-vip) to its servers: when it
 * says so (`artifacts.addonImages`), else when it is `offline` — without them an offline
 * server cannot start kube-vip, and the registration address never comes up.
 */
export function wantsAddonImages(environment: Environment): boolean {
  return environment.artifacts?.addonImages ?? environment.offline;
}

/**
 * The add-on images of an environment as its lock entry records them (when the entry records
 * the reference homelab pins now), else from homelab's pins; `missing` lists the others.
 */
export function addonImagesFor(
  entry: LockedEnvironment | undefined,
  pins: HomelabPins = BUILTIN_PINS,
): { images: NonNullable<LockedEnvironment["images"]>; missing: (typeof ADDON_IMAGES)[number][] } {
  const images: Record<string, NonNullable<LockedEnvironment["images"]>["kube-vip"]> = {};
  const missing: (typeof ADDON_IMAGES)[number][] = [];
  for (const image of ADDON_IMAGES) {
    const locked = entry?.images?.[image.key];
    const pinned = pins.addonImages?.[image.reference];
    if (locked?.reference === image.reference) images[image.key] = locked;
    else if (pinned)
      images[image.key] = {
        reference: image.reference,
        digest: pinned.digest,
        archive: { sha256: pinned.archiveSha256 },
      };
    else missing.push(image);
  }
  return { images, missing };
}

/** The refusal for add-on images the lock does not record (nothing to verify them against). */
export function addonImagesNotLocked(
  name: string,
  missing: readonly (typeof ADDON_IMAGES)[number][],
): HomelabError {
  const first = missing[0];
  return new HomelabError(
    "lock-missing-artifact",
    `no digest is recorded for the ${missing.map((image) => `${image.title} ${image.reference}`).join(", ")}`,
    {
      where: { file: LOCK_FILE_NAME, path: `environments.${name}.images.${first?.key ?? "kube-vip"}` },
      fix:
        `Run \`homelab lock ${name} --update\` where the internet is reachable: it pulls the image once, records its digest and ` +
        `the hash of homelab's archive of it, and keeps the archive in the cache (carry it to an offline machine with ` +
        `\`homelab artifacts ${name} --from DIR\`). Or set artifacts.addonImages: false if the servers can pull it from the registry or a mirror.`,
    },
  );
}

/** The lock entry homelab would write for these versions from what it knows offline. */
export function lockEntryFromPins(
  versions: {
    readonly channel: Channel;
    readonly flatcarVersion: string;
    readonly k3sVersion: string;
    readonly gitops: boolean;
    /** Record the air-gap image archive too; without a pinned hash for it, no entry. */
    readonly airgapImages?: boolean;
  },
  pins: HomelabPins = BUILTIN_PINS,
): LockedEnvironment | undefined {
  const binary = pins.k3sBinaries[versions.k3sVersion];
  if (!binary) return undefined;
  const airgap = versions.airgapImages ? pins.k3sAirgapImages?.[versions.k3sVersion] : undefined;
  if (versions.airgapImages && !airgap) return undefined;
  const urls = flatcarImageUrls(flatcarReleaseUrl(versions.channel, versions.flatcarVersion));
  const sha512 = pins.flatcarSha512[`${versions.channel}/${versions.flatcarVersion}`];
  return {
    flatcar: {
      channel: versions.channel,
      version: versions.flatcarVersion,
      image: {
        url: urls.url,
        signatureUrl: urls.signatureUrl,
        signingKeyFingerprint: FLATCAR_SIGNING_KEY_FINGERPRINT,
        ...(sha512 ? { sha512 } : {}),
      },
    },
    k3s: {
      version: versions.k3sVersion,
      binary: { url: binary.url, sha256: binary.sha256 },
      ...(airgap ? { airgapImages: { url: airgap.url, sha256: airgap.sha256 } } : {}),
    },
    provider: { source: "dmacvicar/libvirt", version: pins.providerVersion },
    ...(versions.gitops ? { flux: { version: pins.fluxVersion } } : {}),
  };
}

/**
 * The versions an environment asks for: its own pins first, then its lock entry (so that
 * upgrading homelab never silently changes an environment that is locked), then homelab's.
 */
export function wantedVersions(
  environment: Environment,
  entry: LockedEnvironment | undefined,
  pins: HomelabPins = BUILTIN_PINS,
  environmentFile?: string,
): { channel: Channel; flatcarVersion: string; k3sVersion: string } {
  const channel = environment.flatcar.channel;
  const flatcarVersion =
    environment.flatcar.version ??
    (entry?.flatcar.channel === channel ? entry.flatcar.version : undefined) ??
    pins.flatcar[channel];
  if (!flatcarVersion) {
    throw new HomelabError(
      "lock-missing-artifact",
      `homelab pins no Flatcar release for the ${channel} channel`,
      {
        where: { ...(environmentFile ? { file: environmentFile } : {}), path: "flatcar.version" },
        fix: `Pin one in the environment (flatcar: { channel: "${channel}", version: "…" }, see https://www.flatcar.org/releases), then run \`homelab lock ${environment.name} --update\`.`,
      },
    );
  }
  return {
    channel,
    flatcarVersion,
    k3sVersion: environment.k3s.version ?? entry?.k3s.version ?? pins.k3sVersion,
  };
}

/**
 * What an environment resolves to — Flatcar image (URLs, signing key, sha512 when known), k3s
 * binary (URL, sha256), provider and Flux versions — from its entry in `homelab.lock.json`.
 * Versions come from the environment file when it pins them, else from the lock entry, else
 * from homelab's pins. Artifacts come from the lock entry when it records that exact version,
 * else from the built-in pins (with a warning that the environment is not locked yet).
 *
 * @throws HomelabError `lock-missing-artifact` when a k3s version has no known sha256 (fix:
 *   `homelab lock <env> --update`) or the channel has no pinned Flatcar release.
 */
export function resolveLockedEnvironment(
  environment: Environment,
  lock: LockFile | undefined,
  pins: HomelabPins = BUILTIN_PINS,
  options: ResolveLockOptions = {},
): LockedEnvironment {
  const entry = lock?.environments[environment.name];
  const wanted = wantedVersions(environment, entry, pins, options.environmentFile);
  const name = environment.name;
  const update = `Run \`homelab lock ${name} --update\` and commit ${LOCK_FILE_NAME}.`;
  const flatcarLocked =
    entry?.flatcar.channel === wanted.channel && entry.flatcar.version === wanted.flatcarVersion
      ? entry.flatcar
      : undefined;
  const k3sLocked = entry?.k3s.version === wanted.k3sVersion ? entry.k3s : undefined;
  const fromPins = lockEntryFromPins({ ...wanted, gitops: environment.gitops !== undefined }, pins);
  const k3s = k3sLocked ?? fromPins?.k3s;
  if (!k3s) {
    throw new HomelabError(
      "lock-missing-artifact",
      `no sha256 is known for the k3s ${wanted.k3sVersion} binary`,
      {
        where: environment.k3s.version
          ? { ...(options.environmentFile ? { file: options.environmentFile } : {}), path: "k3s.version" }
          : { file: LOCK_FILE_NAME, path: `environments.${name}.k3s.version` },
        fix: `Run \`homelab lock ${name} --update\` (needs the internet) to record the binary's URL and sha256 from the release's sha256sum-amd64.txt, or pin a k3s version homelab knows: ${Object.keys(pins.k3sBinaries).join(", ")}.`,
      },
    );
  }
  const flatcar = flatcarLocked ?? {
    channel: wanted.channel,
    version: wanted.flatcarVersion,
    image: (() => {
      const urls = flatcarImageUrls(flatcarReleaseUrl(wanted.channel, wanted.flatcarVersion));
      const sha512 = pins.flatcarSha512[`${wanted.channel}/${wanted.flatcarVersion}`];
      return {
        url: urls.url,
        signatureUrl: urls.signatureUrl,
        signingKeyFingerprint: FLATCAR_SIGNING_KEY_FINGERPRINT,
        ...(sha512 ? { sha512 } : {}),
      };
    })(),
  };
  if (!entry) {
    options.onWarning?.({
      message: `environment ${name} is not in ${LOCK_FILE_NAME} yet: using homelab's built-in pins`,
      fix: update,
    });
  } else {
    const stale: string[] = [];
    if (!flatcarLocked)
      stale.push(
        `Flatcar ${entry.flatcar.channel} ${entry.flatcar.version} → ${wanted.channel} ${wanted.flatcarVersion}`,
      );
    if (!k3sLocked) stale.push(`k3s ${entry.k3s.version} → ${wanted.k3sVersion}`);
    if (stale.length > 0) {
      options.onWarning?.({
        message: `${LOCK_FILE_NAME} is out of date for ${name} (${stale.join(", ")})`,
        fix: update,
      });
    }
  }
  const fluxVersion = entry?.flux?.version ?? pins.fluxVersion;
  const airgapImages = wantsAirgapImages(environment)
    ? (k3sLocked?.airgapImages ?? pins.k3sAirgapImages?.[k3s.version])
    : undefined;
  if (wantsAirgapImages(environment) && !airgapImages) {
    throw new HomelabError(
      "lock-missing-artifact",
      `no sha256 is known for the air-gap image archive of k3s ${k3s.version}`,
      {
        where: { file: LOCK_FILE_NAME, path: `environments.${name}.k3s.airgapImages` },
        fix: `Run \`homelab lock ${name} --update\` (needs the internet) to record it from the release's sha256sum-amd64.txt, or set artifacts.airgapImages: false (then k3s pulls its images from the internet).`,
      },
    );
  }
  let images: LockedEnvironment["images"];
  if (wantsAddonImages(environment)) {
    const addons = addonImagesFor(entry, pins);
    if (addons.missing.length > 0) throw addonImagesNotLocked(name, addons.missing);
    images = addons.images;
  }
  return {
    flatcar,
    k3s: {
      version: k3s.version,
      binary: { url: k3s.binary.url, sha256: k3s.binary.sha256 },
      ...(airgapImages ? { airgapImages: { url: airgapImages.url, sha256: airgapImages.sha256 } } : {}),
    },
    provider: entry?.provider ?? { source: "dmacvicar/libvirt", version: pins.providerVersion },
    ...(environment.gitops ? { flux: { version: fluxVersion } } : {}),
    ...(images ? { images } : {}),
  };
}

/** How an environment's lock entry compares to what the environment asks for. */
export interface LockStatus {
  readonly entry: LockedEnvironment | undefined;
  readonly state: "locked" | "missing" | "out-of-date";
  /** One line per difference ("k3s v1.34.2+k3s1 → v1.34.10+k3s1"). */
  readonly differences: readonly string[];
}

export function lockStatus(
  environment: Environment,
  lock: LockFile | undefined,
  pins: HomelabPins = BUILTIN_PINS,
): LockStatus {
  const entry = lock?.environments[environment.name];
  if (!entry) return { entry, state: "missing", differences: [] };
  const wanted = wantedVersions(environment, entry, pins);
  const differences: string[] = [];
  if (entry.flatcar.channel !== wanted.channel || entry.flatcar.version !== wanted.flatcarVersion) {
    differences.push(
      `Flatcar ${entry.flatcar.channel} ${entry.flatcar.version} → ${wanted.channel} ${wanted.flatcarVersion}`,
    );
  }
  if (entry.k3s.version !== wanted.k3sVersion)
    differences.push(`k3s ${entry.k3s.version} → ${wanted.k3sVersion}`);
  if (environment.gitops && !entry.flux) differences.push(`Flux not recorded → ${pins.fluxVersion}`);
  if (wantsAirgapImages(environment) && !entry.k3s.airgapImages)
    differences.push("k3s air-gap images not recorded");
  if (!environment.gitops && entry.flux) differences.push("Flux recorded, but the environment has no gitops");
  if (wantsAddonImages(environment)) {
    for (const image of ADDON_IMAGES) {
      const locked = entry.images?.[image.key];
      if (!locked) differences.push(`${image.title} not recorded → ${image.reference}`);
      else if (locked.reference !== image.reference)
        differences.push(`${image.title} ${locked.reference} → ${image.reference}`);
    }
  }
  return { entry, state: differences.length > 0 ? "out-of-date" : "locked", differences };
}
