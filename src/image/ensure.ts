import { randomBytes } from "node:crypto";
import { mkdir, open, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { HomelabError, isHomelabError } from "../errors/index.js";
import { describeFetchError, downloadResumable, type Fetch } from "./download.js";
import { cachedImagePaths, type FlatcarChannel } from "./flatcar.js";
import { parseSigningKeys, requireFingerprint } from "./signing-key.js";
import { type VerifiedFile, verifyDetachedSignature } from "./verify.js";

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

interface VerificationRecord {
  readonly size: number;
  readonly mtimeMs: number;
  readonly sha512: string;
  readonly signingKeyFingerprint: string;
  readonly verifiedAt: string;
}

async function writeAtomically(path: string, data: string | Uint8Array): Promise<void> {
  const temporary = `${path}.${randomBytes(4).toString("hex")}.tmp`;
  await writeFile(temporary, data);
  await rename(temporary, path);
}

async function readRecord(path: string): Promise<VerificationRecord | undefined> {
  try {
    return JSON.parse(await readFile(path, "utf8")) as VerificationRecord;
  } catch {
    return undefined;
  }
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

async function fetchSignature(url: string, fetch: Fetch): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new HomelabError(
      "image-download-failed",
      `downloading the signature ${url} failed: ${describeFetchError(error)}`,
      {
        fix: "Check the network and run the command again.",
      },
    );
  }
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
  return new Uint8Array(await response.arrayBuffer());
}

function processAlive(pid: number): boolean {
  if (!(pid > 0)) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Holds `<dir>/download.lock` so that two homelab runs never write one .part at once. */
async function withDownloadLock<T>(dir: string, work: () => Promise<T>): Promise<T> {
  const lockPath = `${dir}/download.lock`;
  const unwritable = (error: unknown) =>
    new HomelabError(
      "image-download-failed",
      `the image cache ${dir} cannot be written: ${(error as Error).message}`,
      {
        fix: "Make the cache directory writable, or point HOMELAB_CACHE_DIR at a writable directory.",
      },
    );
  try {
    await mkdir(dir, { recursive: true });
  } catch (error) {
    throw unwritable(error);
  }
  for (let tries = 0; ; tries++) {
    try {
      const handle = await open(lockPath, "wx");
      await handle.writeFile(String(process.pid));
      await handle.close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw unwritable(error);
      const owner = Number((await readFile(lockPath, "utf8").catch(() => "")).trim());
      if (tries > 0 || processAlive(owner)) {
        throw new HomelabError(
          "image-download-failed",
          `another homelab process (pid ${owner || "unknown"}) is downloading this image`,
          {
            fix: `Wait for it to finish, then run the command again. If no homelab runs, remove ${lockPath}.`,
          },
        );
      }
      await rm(lockPath, { force: true }); // left by a process that died
    }
  }
  try {
    return await work();
  } finally {
    await rm(lockPath, { force: true });
  }
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

/**
 * Makes sure the pinned Flatcar image is in the cache, verified, and returns its path.
 *
 * - Cached and recorded as verified (same size and mtime): returned without reading it.
 * - Otherwise the signature is fetched, the image downloaded into `<image>.part` (resuming an
 *   interrupted download), verified against Flatcar's key (streaming) and the lock's sha512,
 *   and only then renamed to its final name. Nothing unverified ever sits at the final path;
 *   a `.part` that fails verification is deleted.
 *
 * Errors: `image-unverifiable` (no signature published), `image-signature-invalid`,
 * `image-hash-mismatch`, `image-download-failed`.
 */
export async function ensureFlatcarImage(options: EnsureFlatcarImageOptions): Promise<EnsuredImage> {
  const paths = cachedImagePaths(options.cacheRoot, options.channel, options.version);
  const label = `Flatcar ${options.channel} ${options.version} image`;
  const done = (
    source: EnsuredImage["source"],
    verified: VerifiedFile | VerificationRecord,
    bytes: number,
    resumed = false,
  ): EnsuredImage => ({
    path: paths.image,
    source,
    verified: true,
    bytes,
    sha512: verified.sha512,
    signingKeyFingerprint: verified.signingKeyFingerprint,
    resumed,
    warnings: [],
  });
  const record = async (verified: VerifiedFile) => {
    const stats = await stat(paths.image);
    const entry: VerificationRecord = {
      size: stats.size,
      mtimeMs: stats.mtimeMs,
      sha512: verified.sha512,
      signingKeyFingerprint: verified.signingKeyFingerprint,
      verifiedAt: options.now().toISOString(),
    };
    await writeAtomically(paths.record, `${JSON.stringify(entry, null, 2)}\n`);
  };

  if (await exists(paths.image)) {
    const stats = await stat(paths.image);
    const known = await readRecord(paths.record);
    const trusted =
      !options.reverify &&
      known !== undefined &&
      known.size === stats.size &&
      known.mtimeMs === stats.mtimeMs &&
      (options.expectedSha512 === undefined || known.sha512 === options.expectedSha512);
    if (trusted && known) {
      // The key may have been swapped since; check it still is the one the lock names.
      requireFingerprint(await parseSigningKeys(options.signingKeys), options.expectedFingerprint);
      return done("cache", known, stats.size);
    }
    const signature = (await exists(paths.signature))
      ? new Uint8Array(await readFile(paths.signature))
      : await fetchSignature(options.signatureUrl, options.fetch);
    try {
      const verified = await verifyFile(paths.image, signature, label, options);
      if (options.expectedSha512 && verified.sha512 !== options.expectedSha512) {
        throw hashMismatch(label, verified.sha512, options.expectedSha512);
      }
      await record(verified);
      return done("cache", verified, verified.bytes);
    } catch (error) {
      if (!isHomelabError(error) || error.code !== "image-signature-invalid") throw error;
      // A cached image that no longer verifies is removed and fetched again.
      await Promise.all(
        [paths.image, paths.record, paths.signature].map((path) => rm(path, { force: true })),
      );
    }
  }

  return withDownloadLock(paths.dir, async () => {
    const signature = await fetchSignature(options.signatureUrl, options.fetch);
    const download = await downloadResumable({
      url: options.imageUrl,
      partPath: paths.part,
      fetch: options.fetch,
      onProgress: (bytes, total) => options.onProgress?.({ phase: "download", done: bytes, total }),
      ...(options.maxAttempts !== undefined ? { maxAttempts: options.maxAttempts } : {}),
      ...(options.sleep ? { sleep: options.sleep } : {}),
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
    await record(verified);
    return done("download", verified, verified.bytes, download.resumed);
  });
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
