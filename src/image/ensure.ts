import { randomBytes } from "node:crypto";
import type { BigIntStats } from "node:fs";
import { readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import type { PublicKey } from "openpgp";
import { HomelabError, isHomelabError } from "../errors/index.js";
import {
  type DownloadTimeouts,
  describeFetchError,
  downloadResumable,
  downloadTimeoutError,
  type Fetch,
  TimedRequest,
} from "./download.js";
import { type DownloadLockLabels, withDownloadLock } from "./download-lock.js";
import { cachedImagePaths, type FlatcarChannel } from "./flatcar.js";
import { parseSigningKeys, primaryFingerprints, requireFingerprint } from "./signing-key.js";
import { type VerifiedFile, verifyDetachedSignature } from "./verify.js";

const IMAGE_LOCK: DownloadLockLabels = {
  code: "image-download-failed",
  cache: "image",
  busy: "downloading this image",
};

/**
 * Flatcar's detached `.sig` is a few hundred bytes (one RSA-4096 signature packet); anything
 * much larger is not a signature (an error page, a proxy's portal) and is not read whole.
 */
export const MAX_SIGNATURE_BYTES = 64 * 1024;

export interface ImageProgress {
  readonly phase: "download" | "verify";
  readonly done: number;
  readonly total: number | undefined;
}

interface VerificationInputs {
  /** Armored Flatcar image-signing key (the CLI passes the shipped file's text). */
  readonly signingKeys: string;
  /** Primary-key fingerprint the lock file records; a different key file is refused. */
  readonly expectedFingerprint?: string;
  /** sha512 from homelab.lock.json, when known: checked after the signature. */
  readonly expectedSha512?: string;
  /** The clock, for the signature's validity. */
  readonly now: () => Date;
  readonly onProgress?: (progress: ImageProgress) => void;
}

export interface EnsureFlatcarImageOptions extends VerificationInputs {
  readonly channel: FlatcarChannel;
  readonly version: string;
  /** `<cacheRoot>/images/flatcar/<channel>/<version>/` holds the image. */
  readonly cacheRoot: string;
  readonly imageUrl: string;
  readonly signatureUrl: string;
  readonly fetch: Fetch;
  /** Download tries per call (a dropped connection resumes). Default 4. */
  readonly maxAttempts?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Verify a cached image again instead of trusting its verification record. */
  readonly reverify?: boolean;
  /** Request and idle timeouts of the signature and image downloads. */
  readonly timeouts?: DownloadTimeouts;
}

export interface EnsuredImage {
  /** Absolute path of the verified image (what the base volume is created from). */
  readonly path: string;
  readonly source: "cache" | "download" | "local";
  /** False only for `--image` with `--insecure-skip-verify`. */
  readonly verified: boolean;
  readonly bytes: number;
  readonly sha512: string | undefined;
  readonly signingKeyFingerprint: string | undefined;
  /** True when the download continued an interrupted one. */
  readonly resumed: boolean;
  /** Things the user must see (an unverified local image). */
  readonly warnings: readonly string[];
}

/**
 * What was verified, written beside the image (`<image>.verified.json`) so that `up`, `plan`
 * and `apply` need not read 500 MB again each time. It binds the result to the key that
 * verified it (primary and signing subkey fingerprints) and the digest, and to the file's
 * identity: device, inode, size, and modification *and change* times in nanoseconds. mtime
 * can be set back with `touch -d` or `utimes()`, ctime cannot — the kernel sets it to "now"
 * on every write, truncate, chmod or utimes — so bytes changed in place (even with size and
 * mtime restored) or a file renamed over the image no longer match the record, and the
 * image is verified again. Only a change of the system clock (root) could forge a ctime; root
 * can equally change homelab. Re-hashing on every command would be the alternative: 2–6 s
 * per GiB here (bench/image-verify.bench.ts), on every plan.
 */
interface VerificationRecord {
  readonly version: 2;
  readonly sha512: string;
  readonly primaryKeyFingerprint: string;
  readonly signingKeyFingerprint: string;
  readonly size: string;
  readonly dev: string;
  readonly ino: string;
  readonly mtimeNs: string;
  readonly ctimeNs: string;
  readonly verifiedAt: string;
}

type FileIdentity = Pick<VerificationRecord, "size" | "dev" | "ino" | "mtimeNs" | "ctimeNs">;

function fileIdentity(stats: BigIntStats): FileIdentity {
  return {
    size: String(stats.size),
    dev: String(stats.dev),
    ino: String(stats.ino),
    mtimeNs: String(stats.mtimeNs),
    ctimeNs: String(stats.ctimeNs),
  };
}

async function statIdentity(path: string): Promise<FileIdentity | undefined> {
  try {
    const stats = await stat(path, { bigint: true });
    return stats.isFile() ? fileIdentity(stats) : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the record still vouches for the file, for these keys and this lock entry. */
function recordVouches(
  record: VerificationRecord | undefined,
  identity: FileIdentity,
  keys: readonly PublicKey[],
  inputs: Pick<VerificationInputs, "expectedFingerprint" | "expectedSha512">,
): record is VerificationRecord {
  if (record?.version !== 2) return false;
  for (const field of ["size", "dev", "ino", "mtimeNs", "ctimeNs"] as const)
    if (record[field] !== identity[field]) return false;
  if (inputs.expectedSha512 !== undefined && record.sha512 !== inputs.expectedSha512) return false;
  const primary = record.primaryKeyFingerprint;
  if (!primaryFingerprints(keys).includes(primary)) return false;
  if (inputs.expectedFingerprint !== undefined && primary !== inputs.expectedFingerprint.toUpperCase())
    return false;
  // The signing subkey must still be part of the key (a rotated-out subkey is verified again).
  const subkeys = keys.flatMap((key) => key.getKeys().map((sub) => sub.getFingerprint().toUpperCase()));
  return subkeys.includes(record.signingKeyFingerprint);
}

async function writeAtomically(path: string, data: string | Uint8Array): Promise<void> {
  const temporary = `${path}.${randomBytes(4).toString("hex")}.tmp`;
  await writeFile(temporary, data);
  await rename(temporary, path);
}

async function readRecord(path: string): Promise<VerificationRecord | undefined> {
  try {
    const value = JSON.parse(await readFile(path, "utf8")) as Partial<VerificationRecord>;
    return value.version === 2 ? (value as VerificationRecord) : undefined;
  } catch {
    return undefined;
  }
}

async function writeRecord(
  path: string,
  imagePath: string,
  verified: VerifiedFile,
  now: () => Date,
): Promise<void> {
  const identity = await statIdentity(imagePath);
  if (identity === undefined) return;
  const entry: VerificationRecord = {
    version: 2,
    sha512: verified.sha512,
    primaryKeyFingerprint: verified.primaryKeyFingerprint,
    signingKeyFingerprint: verified.signingKeyFingerprint,
    ...identity,
    verifiedAt: now().toISOString(),
  };
  await writeAtomically(path, `${JSON.stringify(entry, null, 2)}\n`);
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

function hashMismatch(label: string, actual: string, expected: string): HomelabError {
  return new HomelabError(
    "image-hash-mismatch",
    `${label} is signed by Flatcar, but its sha512 ${actual.slice(0, 16)}… differs from homelab.lock.json (${expected.slice(0, 16)}…)`,
    {
      fix: "Either the lock file names another build of this version, or the file was replaced. Run `homelab lock <env> --update` to re-read Flatcar's signed DIGESTS, then `homelab image` again.",
    },
  );
}

async function fetchSignature(
  url: string,
  fetch: Fetch,
  timeouts: DownloadTimeouts | undefined,
): Promise<Uint8Array> {
  const timed = new TimedRequest(timeouts);
  try {
    let response: Response;
    try {
      response = await fetch(url, { signal: timed.signal });
    } catch (error) {
      if (timed.timedOut) throw downloadTimeoutError(url, timed.describe());
      throw new HomelabError(
        "image-download-failed",
        `downloading the signature ${url} failed: ${describeFetchError(error)}`,
        {
          fix: "Check the network and run the command again.",
        },
      );
    }
    timed.receiving();
    if (response.status === 404 || response.status === 410) {
      await response.body?.cancel();
      throw new HomelabError(
        "image-unverifiable",
        `Flatcar publishes no signature at ${url}, so the image cannot be verified`,
        {
          fix: "Check the channel and version (https://www.flatcar.org/releases). homelab refuses unsigned images; with a local copy and its .sig, use `homelab image --image PATH`.",
        },
      );
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new HomelabError(
        "image-download-failed",
        `downloading the signature ${url} failed: HTTP ${response.status}`,
        {
          fix: "Check the network and run the command again.",
        },
      );
    }
    return await readSignatureBody(url, response, timed);
  } finally {
    timed.done();
  }
}

function signatureTooLarge(url: string, bytes: string): HomelabError {
  return new HomelabError(
    "image-signature-invalid",
    `the signature ${url} is ${bytes}; a Flatcar signature is a few hundred bytes`,
    {
      fix: "The server (or a proxy or captive portal) answered with something else. Check the network and the lock file's URLs, then run the command again.",
    },
  );
}

/** The body of a signature response, at most MAX_SIGNATURE_BYTES, under the idle timeout. */
async function readSignatureBody(url: string, response: Response, timed: TimedRequest): Promise<Uint8Array> {
  const declared = Number(response.headers.get("content-length") ?? Number.NaN);
  if (declared > MAX_SIGNATURE_BYTES) {
    await response.body?.cancel();
    throw signatureTooLarge(url, `${declared} bytes`);
  }
  if (!response.body) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = response.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      timed.progress();
      total += value.length;
      if (total > MAX_SIGNATURE_BYTES) {
        await reader.cancel();
        throw signatureTooLarge(url, `over ${MAX_SIGNATURE_BYTES} bytes`);
      }
      chunks.push(value);
    }
  } catch (error) {
    if (isHomelabError(error)) throw error;
    if (timed.timedOut) throw downloadTimeoutError(url, timed.describe());
    throw new HomelabError(
      "image-download-failed",
      `downloading the signature ${url} failed: ${describeFetchError(error)}`,
      { fix: "Check the network and run the command again." },
    );
  }
  return new Uint8Array(Buffer.concat(chunks));
}

async function verifyFile(
  file: string,
  signature: Uint8Array,
  label: string,
  inputs: VerificationInputs,
): Promise<VerifiedFile> {
  const keys = await parseSigningKeys(inputs.signingKeys);
  requireFingerprint(keys, inputs.expectedFingerprint);
  return verifyDetachedSignature({
    file,
    signature,
    keys,
    date: inputs.now(),
    label,
    onProgress: (done, total) => inputs.onProgress?.({ phase: "verify", done, total }),
  });
}

function cachedResult(
  path: string,
  source: EnsuredImage["source"],
  verified: Pick<VerifiedFile, "sha512" | "signingKeyFingerprint">,
  bytes: number,
  resumed = false,
): EnsuredImage {
  return {
    path,
    source,
    verified: true,
    bytes,
    sha512: verified.sha512,
    signingKeyFingerprint: verified.signingKeyFingerprint,
    resumed,
    warnings: [],
  };
}

type CacheCheck =
  | { readonly state: "verified"; readonly image: EnsuredImage }
  | { readonly state: "missing" }
  | { readonly state: "unsigned" }
  | { readonly state: "invalid"; readonly error: HomelabError };

/**
 * What the cache holds for a release, without any network: a verified image (trusted from
 * its record, or verified again with the cached `.sig` when the record does not vouch for
 * it), no image, an image without a cached signature, or one that does not verify.
 */
async function checkCache(
  paths: ReturnType<typeof cachedImagePaths>,
  label: string,
  options: VerificationInputs & { readonly reverify?: boolean },
): Promise<CacheCheck> {
  const identity = await statIdentity(paths.image);
  if (identity === undefined) return { state: "missing" };
  const keys = await parseSigningKeys(options.signingKeys);
  // The key file may have been swapped: it must be the one the lock names, record or not.
  requireFingerprint(keys, options.expectedFingerprint);
  const known = await readRecord(paths.record);
  if (!options.reverify && recordVouches(known, identity, keys, options)) {
    return { state: "verified", image: cachedResult(paths.image, "cache", known, Number(identity.size)) };
  }
  let signature: Uint8Array;
  try {
    signature = new Uint8Array(await readFile(paths.signature));
  } catch {
    return { state: "unsigned" };
  }
  try {
    const verified = await verifyFile(paths.image, signature, label, options);
    if (options.expectedSha512 && verified.sha512 !== options.expectedSha512) {
      return { state: "invalid", error: hashMismatch(label, verified.sha512, options.expectedSha512) };
    }
    await writeRecord(paths.record, paths.image, verified, options.now);
    return { state: "verified", image: cachedResult(paths.image, "cache", verified, verified.bytes) };
  } catch (error) {
    if (isHomelabError(error) && error.code === "image-signature-invalid") return { state: "invalid", error };
    throw error;
  }
}

/**
 * Makes sure the pinned Flatcar image is in the cache, verified, and returns its path.
 *
 * - Cached, and its verification record vouches for it (same key, same digest, same file:
 *   see VerificationRecord): returned without reading it.
 * - Cached but not vouched for: verified again with the cached signature; a cached image
 *   that does not verify is removed and fetched again.
 * - Otherwise the signature is fetched, the image downloaded into `<image>.part` (resuming an
 *   interrupted download), verified against Flatcar's key (streaming) and the lock's sha512,
 *   and only then renamed to its final name. Nothing unverified ever sits at the final path;
 *   a `.part` that fails verification is deleted.
 *
 * Errors: `image-unverifiable` (no signature published), `image-signature-invalid`,
 * `image-hash-mismatch`, `image-download-failed`, `image-download-timeout`.
 */
export async function ensureFlatcarImage(options: EnsureFlatcarImageOptions): Promise<EnsuredImage> {
  const paths = cachedImagePaths(options.cacheRoot, options.channel, options.version);
  const label = `Flatcar ${options.channel} ${options.version} image`;
  const cached = await checkCache(paths, label, options);
  if (cached.state === "verified") return cached.image;
  if (cached.state === "invalid" && cached.error.code === "image-hash-mismatch") throw cached.error;
  if (cached.state !== "missing") {
    // Unsigned or not verifying: removed, and fetched again below.
    await Promise.all([paths.image, paths.record, paths.signature].map((path) => rm(path, { force: true })));
  }

  return withDownloadLock(paths.dir, IMAGE_LOCK, async () => {
    const signature = await fetchSignature(options.signatureUrl, options.fetch, options.timeouts);
    const download = await downloadResumable({
      url: options.imageUrl,
      partPath: paths.part,
      fetch: options.fetch,
      onProgress: (bytes, total) => options.onProgress?.({ phase: "download", done: bytes, total }),
      ...(options.maxAttempts !== undefined ? { maxAttempts: options.maxAttempts } : {}),
      ...(options.sleep ? { sleep: options.sleep } : {}),
      ...(options.timeouts ? { timeouts: options.timeouts } : {}),
    });
    let verified: VerifiedFile;
    try {
      verified = await verifyFile(paths.part, signature, label, options);
      if (options.expectedSha512 && verified.sha512 !== options.expectedSha512) {
        throw hashMismatch(label, verified.sha512, options.expectedSha512);
      }
    } catch (error) {
      await rm(paths.part, { force: true }); // never resume from bytes that failed verification
      throw error;
    }
    await writeAtomically(paths.signature, signature);
    await rename(paths.part, paths.image);
    await writeRecord(paths.record, paths.image, verified, options.now);
    return cachedResult(paths.image, "download", verified, verified.bytes, download.resumed);
  });
}

export interface VerifiedCachedImageOptions extends VerificationInputs {
  readonly channel: FlatcarChannel;
  readonly version: string;
  readonly cacheRoot: string;
  /** Verify again even when the record vouches for the image. */
  readonly reverify?: boolean;
  /** How to fetch the image, for the fix in messages (e.g. `homelab image development`). */
  readonly fetchCommand?: string;
}

/**
 * The cached image of a release, checked without any network — for the commands that hand it
 * to OpenTofu (plan, apply, replace): trusted only when its verification record vouches for
 * exactly this file with this key and digest, otherwise verified again with the cached
 * signature. Refuses with `image-not-verified` (no image, or no signature to check it with),
 * `image-signature-invalid` or `image-hash-mismatch`; never downloads and never deletes.
 */
export async function verifiedCachedImage(options: VerifiedCachedImageOptions): Promise<EnsuredImage> {
  const paths = cachedImagePaths(options.cacheRoot, options.channel, options.version);
  const label = `the cached Flatcar ${options.channel} ${options.version} image ${paths.image}`;
  const fetchCommand = options.fetchCommand ?? "homelab image";
  const cached = await checkCache(paths, label, options);
  switch (cached.state) {
    case "verified":
      return cached.image;
    case "missing":
      throw new HomelabError(
        "image-not-verified",
        `the Flatcar ${options.channel} ${options.version} image is not in the cache (${paths.image})`,
        {
          where: { file: paths.image },
          fix: `Run \`${fetchCommand}\` to download and verify it (or \`homelab up\`, which does that first).`,
        },
      );
    case "unsigned":
      throw new HomelabError(
        "image-not-verified",
        `${paths.image} was not verified by homelab: there is no verification record for this file and no signature beside it`,
        {
          where: { file: paths.image },
          fix: `Run \`${fetchCommand}\`: it verifies the image with Flatcar's signature, or replaces it with a verified download. Do not put files into homelab's cache by hand; use --image PATH with its .sig instead.`,
        },
      );
    case "invalid":
      throw new HomelabError(cached.error.code, cached.error.message, {
        where: { file: paths.image },
        fix: `Do not use this file. \`${fetchCommand}\` removes it and downloads a verified image.`,
      });
  }
}

export interface UseLocalImageOptions extends VerificationInputs {
  readonly path: string;
  /** Default `<path>.sig`. */
  readonly signaturePath?: string;
  /** Use the image even without a signature (prints a loud warning). */
  readonly insecureSkipVerify?: boolean;
}

/**
 * `--image PATH`: a local image, used in place. Verified when its `.sig` is beside it; without
 * one it is refused (`image-unverifiable`) unless `insecureSkipVerify`, which is reported as a
 * warning. A signed local image whose sha512 differs from the lock is allowed with a warning
 * (it may be another build on purpose).
 */
export async function useLocalImage(options: UseLocalImageOptions): Promise<EnsuredImage> {
  const stats = await stat(options.path).catch(() => undefined);
  if (!stats?.isFile()) {
    throw new HomelabError(
      "usage",
      `the image given with --image does not exist or is not a file: ${options.path}`,
      {
        fix: "Pass the path of a flatcar_production_qemu_image.img, or leave --image out to download the pinned one.",
      },
    );
  }
  const signaturePath = options.signaturePath ?? `${options.path}.sig`;
  if (!(await exists(signaturePath))) {
    if (!options.insecureSkipVerify) {
      throw new HomelabError(
        "image-unverifiable",
        `${options.path} has no signature beside it (${signaturePath})`,
        {
          fix: `Put Flatcar's detached signature next to it as ${signaturePath} (it is published beside the image as ${"flatcar_production_qemu_image.img.sig"}), or — only for an image you built yourself — pass --insecure-skip-verify.`,
        },
      );
    }
    return {
      path: options.path,
      source: "local",
      verified: false,
      bytes: stats.size,
      sha512: undefined,
      signingKeyFingerprint: undefined,
      resumed: false,
      warnings: [
        `UNVERIFIED IMAGE: ${options.path} is used without any signature check (--insecure-skip-verify). Every node will boot it; make sure you trust where it came from.`,
      ],
    };
  }
  const verified = await verifyFile(
    options.path,
    new Uint8Array(await readFile(signaturePath)),
    options.path,
    options,
  );
  const warnings =
    options.expectedSha512 && verified.sha512 !== options.expectedSha512
      ? [`${options.path} is signed by Flatcar but is not the image homelab.lock.json pins (sha512 differs)`]
      : [];
  return {
    path: options.path,
    source: "local",
    verified: true,
    bytes: verified.bytes,
    sha512: verified.sha512,
    signingKeyFingerprint: verified.signingKeyFingerprint,
    resumed: false,
    warnings,
  };
}

/** Whether the cache holds a verified image for this version (doctor's disk-space check). */
export async function isImageCached(
  cacheRoot: string,
  channel: FlatcarChannel,
  version: string,
): Promise<boolean> {
  const paths = cachedImagePaths(cacheRoot, channel, version);
  return (await exists(paths.image)) && (await exists(paths.record));
}
