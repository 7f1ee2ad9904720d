import type { Environment } from "../environment/schema.js";
import { HomelabError } from "../errors/index.js";
import { parseDigests, verifyDigests } from "../image/digests.js";
import { type DownloadTimeouts, describeFetchError, type Fetch, TimedRequest } from "../image/download.js";
import { FLATCAR_SIGNING_KEY_FINGERPRINT, flatcarImageUrls, flatcarReleaseUrl } from "../image/flatcar.js";
import { parseSigningKeys } from "../image/signing-key.js";
import { K3S_AIRGAP_IMAGES_FILE, k3sAirgapImagesUrl, k3sBinaryUrl } from "../pins/index.js";
import { ADDON_IMAGES } from "./addon-images.js";
import { BUILTIN_PINS, type HomelabPins } from "./pins.js";
import {
  addonImagesFor,
  addonImagesNotLocked,
  lockEntryFromPins,
  wantsAddonImages,
  wantsAirgapImages,
} from "./resolve.js";
import type { LockedEnvironment } from "./schema.js";

/** Where to read release metadata from; defaults are the canonical hosts (tests use 127.0.0.1). */
export interface LockSources {
  /** Base of Flatcar's release directories, `{channel}` replaced. Default `https://{channel}.release.flatcar-linux.net/amd64-usr`. */
  readonly flatcarBaseUrl?: string;
  /** Base of k3s release assets. Default `https://github.com/k3s-io/k3s/releases/download`. */
  readonly k3sBaseUrl?: string;
}

/**
 * Pulls one add-on image from its registry (linux/amd64), verified by digest, writes homelab's
 * archive of it into the artifact cache, and says what to record. The CLI builds it from
 * src/oci and src/artifacts; tests pass one against a stand-in registry.
 */
export type AddonImagePuller = (image: (typeof ADDON_IMAGES)[number]) => Promise<{
  /** `sha256:<hex>` of the platform image manifest. */
  readonly digest: string;
  /** Lowercase hex SHA-256 of the archive. */
  readonly archiveSha256: string;
}>;

export interface UpdateLockOptions {
  readonly fetch: Fetch;
  /** Needed when the environment delivers add-on images (`artifacts.addonImages`, default `offline`). */
  readonly pullAddonImage?: AddonImagePuller;
  /** Armored Flatcar image-signing key (the shipped one). */
  readonly signingKeys: string;
  readonly now: () => Date;
  readonly sources?: LockSources;
  readonly pins?: HomelabPins;
  /** Request and idle timeouts of each metadata download (defaults: 30 s and 60 s). */
  readonly timeouts?: DownloadTimeouts;
}

const K3S_RELEASES = "https://github.com/k3s-io/k3s/releases/download";

/** The sha256 of the `k3s` binary from a release's `sha256sum-amd64.txt` (`<hex>  k3s`). */
export function parseK3sChecksums(text: string, file = "k3s"): string | undefined {
  for (const line of text.split(/\r?\n/)) {
    const match = /^([0-9a-f]{64})\s+\*?(\S+)$/i.exec(line.trim());
    if (match?.[1] && match[2] === file) return match[1].toLowerCase();
  }
  return undefined;
}

/** Checksum and DIGESTS files are a few kilobytes; more is not one of them. */
const MAX_METADATA_BYTES = 1024 * 1024;

/** What to throw when a release's metadata does not exist (HTTP 404): an unknown version. */
export type NotFound = (url: string) => HomelabError;

async function fetchText(
  fetch: Fetch,
  url: string,
  timeouts?: DownloadTimeouts,
  notFound?: NotFound,
): Promise<string> {
  const timed = new TimedRequest(timeouts);
  const unreachable = (error: unknown) =>
    new HomelabError(
      "lock-update-failed",
      timed.timedOut
        ? `${url} stalled: ${timed.describe()}`
        : `cannot reach ${url}: ${describeFetchError(error)}`,
      {
        fix: "`homelab lock --update` needs the internet. Offline, `homelab lock <env> --update --offline` records homelab's built-in pins instead.",
      },
    );
  try {
    let response: Response;
    try {
      response = await fetch(url, { signal: timed.signal });
    } catch (error) {
      throw unreachable(error);
    }
    timed.receiving();
    if (!response.ok) {
      await response.body?.cancel();
      if (response.status === 404 && notFound) throw notFound(url);
      throw new HomelabError("lock-update-failed", `${url} answered HTTP ${response.status}`, {
        fix:
          response.status === 404
            ? "Check that the pinned version exists (the environment's flatcar.version / k3s.version)."
            : "Try again later; the lock file was not changed.",
      });
    }
    const chunks: Uint8Array[] = [];
    let total = 0;
    const reader = response.body?.getReader();
    try {
      for (;;) {
        const part = reader ? await reader.read() : { done: true as const, value: undefined };
        if (part.done) break;
        timed.progress();
        total += part.value.length;
        if (total > MAX_METADATA_BYTES) {
          await reader?.cancel();
          throw new HomelabError("lock-update-failed", `${url} is larger than ${MAX_METADATA_BYTES} bytes`, {
            fix: "The server answered with something other than a checksum file (an error page?). Try again later; the lock file was not changed.",
          });
        }
        chunks.push(part.value);
      }
    } catch (error) {
      if (error instanceof HomelabError) throw error;
      throw unreachable(error);
    }
    return Buffer.concat(chunks).toString("utf8");
  } finally {
    timed.done();
  }
}

/** Where a release's metadata is read from and how it is checked (the parts of UpdateLockOptions each needs). */
export interface ReleaseLookup {
  readonly fetch: Fetch;
  readonly sources?: LockSources;
  readonly pins?: HomelabPins;
  /** Request and idle timeouts of each metadata download (defaults: 30 s and 60 s). */
  readonly timeouts?: DownloadTimeouts;
  /** Called for a 404: the version does not exist (default: `lock-update-failed`). */
  readonly notFound?: NotFound;
}

/**
 * The k3s artifacts of a release from its `sha256sum-amd64.txt`: the binary's sha256 (the `k3s`
 * line) and, with `airgapImages`, the air-gap image archive's; each refused when it contradicts
 * the hash homelab ships for that version.
 * @throws HomelabError `lock-update-failed`
 */
export async function lockedK3sRelease(
  version: string,
  options: ReleaseLookup & { readonly airgapImages: boolean },
): Promise<LockedEnvironment["k3s"]> {
  const pins = options.pins ?? BUILTIN_PINS;
  const k3sBase = (options.sources?.k3sBaseUrl ?? K3S_RELEASES).replace(/\/+$/, "");
  const checksumsUrl = `${k3sBase}/${encodeURIComponent(version)}/sha256sum-amd64.txt`;
  const checksums = await fetchText(options.fetch, checksumsUrl, options.timeouts, options.notFound);
  const sha256 = parseK3sChecksums(checksums);
  if (!sha256) {
    throw new HomelabError("lock-update-failed", `${checksumsUrl} has no line for the k3s binary`, {
      fix: "Check the k3s version; the lock file was not changed.",
    });
  }
  const pinned = pins.k3sBinaries[version];
  if (pinned && pinned.sha256 !== sha256) {
    throw new HomelabError(
      "lock-update-failed",
      `the published sha256 of k3s ${version} (${sha256}) differs from the one homelab ships (${pinned.sha256})`,
      {
        fix: "Do not trust either until you know why: compare with https://github.com/k3s-io/k3s/releases. The lock file was not changed.",
      },
    );
  }

  let airgapImages: { url: string; sha256: string } | undefined;
  if (options.airgapImages) {
    const published = parseK3sChecksums(checksums, K3S_AIRGAP_IMAGES_FILE);
    if (!published) {
      throw new HomelabError(
        "lock-update-failed",
        `${checksumsUrl} has no line for ${K3S_AIRGAP_IMAGES_FILE}`,
        {
          fix: "Check the k3s version, or set artifacts.airgapImages: false; the lock file was not changed.",
        },
      );
    }
    const pinnedImages = pins.k3sAirgapImages?.[version];
    if (pinnedImages && pinnedImages.sha256 !== published) {
      throw new HomelabError(
        "lock-update-failed",
        `the published sha256 of ${K3S_AIRGAP_IMAGES_FILE} for k3s ${version} (${published}) differs from the one homelab ships (${pinnedImages.sha256})`,
        {
          fix: "Do not trust either until you know why: compare with https://github.com/k3s-io/k3s/releases. The lock file was not changed.",
        },
      );
    }
    airgapImages = { url: k3sAirgapImagesUrl(version), sha256: published };
  }
  return {
    version,
    binary: { url: k3sBinaryUrl(version), sha256 },
    ...(airgapImages ? { airgapImages } : {}),
  };
}

/**
 * The Flatcar image of a release: its sha512 from the release's DIGESTS, whose OpenPGP
 * signature must verify with the shipped Flatcar key.
 * @throws HomelabError `lock-update-failed`
 */
export async function lockedFlatcarRelease(
  channel: Environment["flatcar"]["channel"],
  version: string,
  options: ReleaseLookup & { readonly signingKeys: string; readonly now: () => Date },
): Promise<LockedEnvironment["flatcar"]> {
  const flatcarBase = options.sources?.flatcarBaseUrl?.replace("{channel}", channel);
  const fetchUrls = flatcarImageUrls(flatcarReleaseUrl(channel, version, flatcarBase));
  const keys = await parseSigningKeys(options.signingKeys);
  const signatureText = await fetchText(
    options.fetch,
    fetchUrls.digestsSignatureUrl,
    options.timeouts,
    options.notFound,
  );
  const clearSigned = signatureText.includes("-----BEGIN PGP SIGNED MESSAGE-----");
  const digestsText = clearSigned
    ? undefined
    : await fetchText(options.fetch, fetchUrls.digestsUrl, options.timeouts, options.notFound);
  const signed = await verifyDigests({
    signatureText,
    digestsText,
    keys,
    date: options.now(),
    label: fetchUrls.digestsUrl,
  });
  const sha512 = parseDigests(signed.text).get("sha512");
  if (!sha512 || !/^[0-9a-f]{128}$/.test(sha512)) {
    throw new HomelabError("lock-update-failed", `${fetchUrls.digestsUrl} has no SHA512 line for the image`, {
      fix: "The lock file was not changed; the image is still verified by its signature when downloaded.",
    });
  }
  const canonical = flatcarImageUrls(flatcarReleaseUrl(channel, version));
  return {
    channel,
    version,
    image: {
      url: canonical.url,
      signatureUrl: canonical.signatureUrl,
      // The key that signed the DIGESTS: the shipped Flatcar key when the CLI runs this.
      signingKeyFingerprint: signed.primaryKeyFingerprint,
      sha512,
    },
  };
}

/**
 * Re-resolves an environment from the published release metadata: the versions it pins (or
 * homelab's current pins), the k3s artifacts (`lockedK3sRelease`) and the Flatcar image
 * (`lockedFlatcarRelease`). Nothing is written here.
 *
 * @throws HomelabError `lock-update-failed` (unreachable, missing file, bad signature, a
 *   published hash that contradicts homelab's pin).
 */
export async function updateLockedEnvironment(
  environment: Environment,
  options: UpdateLockOptions,
): Promise<LockedEnvironment> {
  const pins = options.pins ?? BUILTIN_PINS;
  const channel = environment.flatcar.channel;
  const flatcarVersion = environment.flatcar.version ?? pins.flatcar[channel];
  if (!flatcarVersion) {
    throw new HomelabError(
      "lock-missing-artifact",
      `homelab pins no Flatcar release for the ${channel} channel`,
      {
        where: { path: "flatcar.version" },
        fix: `Pin one in the environment (flatcar.version, see https://www.flatcar.org/releases), then run \`homelab lock ${environment.name} --update\` again.`,
      },
    );
  }
  const k3sVersion = environment.k3s.version ?? pins.k3sVersion;
  const lookup = {
    fetch: options.fetch,
    pins,
    ...(options.sources ? { sources: options.sources } : {}),
    ...(options.timeouts ? { timeouts: options.timeouts } : {}),
  };
  const k3s = await lockedK3sRelease(k3sVersion, { ...lookup, airgapImages: wantsAirgapImages(environment) });
  const flatcar = await lockedFlatcarRelease(channel, flatcarVersion, {
    ...lookup,
    signingKeys: options.signingKeys,
    now: options.now,
  });
  const images = wantsAddonImages(environment) ? await lockedAddonImages(options, pins) : undefined;
  return {
    flatcar,
    k3s,
    provider: { source: "dmacvicar/libvirt", version: pins.providerVersion },
    ...(environment.gitops ? { flux: { version: pins.fluxVersion } } : {}),
    ...(images ? { images } : {}),
  };
}

/** Every add-on image pulled once: its digest and archive hash, refused when they contradict homelab's pins. */
async function lockedAddonImages(
  options: UpdateLockOptions,
  pins: HomelabPins,
): Promise<NonNullable<LockedEnvironment["images"]>> {
  const pull = options.pullAddonImage;
  if (!pull) {
    throw new HomelabError("internal", "lock --update needs an image puller for the add-on images", {
      fix: "This is a bug in homelab's lock command. Please report it.",
    });
  }
  const images: Record<string, NonNullable<LockedEnvironment["images"]>["kube-vip"]> = {};
  for (const image of ADDON_IMAGES) {
    const pulled = await pull(image);
    const pinned = pins.addonImages?.[image.reference];
    if (pinned && (pinned.digest !== pulled.digest || pinned.archiveSha256 !== pulled.archiveSha256)) {
      throw new HomelabError(
        "lock-update-failed",
        `the registry serves ${image.reference} as ${pulled.digest} (archive sha256 ${pulled.archiveSha256}), but homelab ships ${pinned.digest} (archive sha256 ${pinned.archiveSha256})`,
        {
          fix: "A tag was moved, or the pin is wrong: do not trust either until you know why. The lock file was not changed.",
        },
      );
    }
    images[image.key] = {
      reference: image.reference,
      digest: pulled.digest,
      archive: { sha256: pulled.archiveSha256 },
    };
  }
  return images;
}

/**
 * The entry for an environment from homelab's built-in pins only (no network): for first
 * locks and offline machines. Flatcar's sha512 stays unset unless the pins know it.
 * @throws HomelabError `lock-missing-artifact` for a k3s version without a known sha256.
 */
export function offlineLockedEnvironment(
  environment: Environment,
  pins: HomelabPins = BUILTIN_PINS,
): LockedEnvironment {
  const channel = environment.flatcar.channel;
  const flatcarVersion = environment.flatcar.version ?? pins.flatcar[channel];
  const k3sVersion = environment.k3s.version ?? pins.k3sVersion;
  const entry =
    flatcarVersion === undefined
      ? undefined
      : lockEntryFromPins(
          {
            channel,
            flatcarVersion,
            k3sVersion,
            gitops: environment.gitops !== undefined,
            airgapImages: wantsAirgapImages(environment),
          },
          pins,
        );
  if (!entry) {
    throw new HomelabError(
      "lock-missing-artifact",
      flatcarVersion === undefined
        ? `homelab pins no Flatcar release for the ${channel} channel`
        : wantsAirgapImages(environment) && pins.k3sBinaries[k3sVersion]
          ? `homelab knows no sha256 for the air-gap image archive of k3s ${k3sVersion}`
          : `homelab knows no sha256 for the k3s ${k3sVersion} binary`,
      {
        where: { path: flatcarVersion === undefined ? "flatcar.version" : "k3s.version" },
        fix: `Run \`homelab lock ${environment.name} --update\` where the internet is reachable, or pin versions homelab knows (k3s: ${Object.keys(pins.k3sBinaries).join(", ")}).`,
      },
    );
  }
  if (!wantsAddonImages(environment)) return entry;
  const addons = addonImagesFor(undefined, pins);
  if (addons.missing.length > 0) throw addonImagesNotLocked(environment.name, addons.missing);
  return { ...entry, images: addons.images };
}

/**
 * A k3s release from homelab's built-in pins only (no network), when homelab ships its hashes
 * (the binary's, and the air-gap image archive's when `airgapImages`).
 */
export function offlineK3sRelease(
  version: string,
  airgapImages: boolean,
  pins: HomelabPins = BUILTIN_PINS,
): LockedEnvironment["k3s"] | undefined {
  const binary = pins.k3sBinaries[version];
  if (!binary) return undefined;
  const images = pins.k3sAirgapImages?.[version];
  if (airgapImages && !images) return undefined;
  return {
    version,
    binary: { url: binary.url, sha256: binary.sha256 },
    ...(airgapImages && images ? { airgapImages: { url: images.url, sha256: images.sha256 } } : {}),
  };
}

/**
 * A Flatcar release without the network: its canonical URLs and the shipped signing key, the
 * sha512 only when the pins know it (the image is still verified by its signature).
 */
export function offlineFlatcarRelease(
  channel: Environment["flatcar"]["channel"],
  version: string,
  pins: HomelabPins = BUILTIN_PINS,
): LockedEnvironment["flatcar"] {
  const urls = flatcarImageUrls(flatcarReleaseUrl(channel, version));
  const sha512 = pins.flatcarSha512[`${channel}/${version}`];
  return {
    channel,
    version,
    image: {
      url: urls.url,
      signatureUrl: urls.signatureUrl,
      signingKeyFingerprint: FLATCAR_SIGNING_KEY_FINGERPRINT,
      ...(sha512 ? { sha512 } : {}),
    },
  };
}
