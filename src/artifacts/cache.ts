import { randomBytes } from "node:crypto";
import { copyFile, mkdir, readdir, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join, relative } from "node:path";
import { HomelabError, isHomelabError } from "../errors/index.js";
import { downloadResumable, type Fetch } from "../image/download.js";
import { withDownloadLock } from "../image/download-lock.js";
import type { RegistryClient } from "../oci/index.js";
import { pullImageArchive } from "./addon-image.js";
import type { ArtifactSpec } from "./catalog.js";
import { sha256File } from "./hash.js";

/** `<cacheRoot>/artifacts`: downloaded, verified artifacts, kept between runs. */
export function artifactCacheDir(cacheRoot: string): string {
  return join(cacheRoot, "artifacts");
}

/** Where an artifact lives in the cache. */
export function cachedArtifactPath(cacheRoot: string, spec: ArtifactSpec): string {
  return join(artifactCacheDir(cacheRoot), spec.cachePath);
}

/** An artifact in the cache whose bytes were just hashed and match the lock. */
export interface VerifiedArtifact {
  readonly spec: ArtifactSpec;
  readonly path: string;
  readonly bytes: number;
  /** cache: was there and verified; download: fetched now; import: copied from `--from`. */
  readonly source: "cache" | "download" | "import";
  /** The download continued an interrupted one. */
  readonly resumed: boolean;
}

export interface ArtifactProgress {
  readonly artifact: ArtifactSpec;
  readonly phase: "download" | "verify";
  readonly done: number;
  readonly total: number | undefined;
}

export interface EnsureArtifactOptions {
  readonly cacheRoot: string;
  /** Omit to never download: a missing artifact is then `artifact-not-cached`. */
  readonly fetch?: Fetch;
  /** Pulls add-on images (omit to never pull: a missing image archive is `artifact-not-cached`). */
  readonly registry?: RegistryClient;
  /** A directory holding copies (by file name: `k3s`, `install.yaml`, …) to import, verified. */
  readonly importFrom?: string;
  readonly onProgress?: (progress: ArtifactProgress) => void;
  /** Download tries per call; default 4. */
  readonly maxAttempts?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    (stats) => stats.isFile(),
    () => false,
  );
}

function mismatch(
  spec: ArtifactSpec,
  what: string,
  actual: string,
  bytes: number,
  fix: string,
): HomelabError {
  return new HomelabError(
    "artifact-hash-mismatch",
    `${what} of the ${spec.title} has sha256 ${actual} (${bytes} bytes), but ${spec.recordedAt.file ?? "the lock"} records ${spec.sha256}`,
    { where: spec.recordedAt, fix },
  );
}

/**
 * Hashes the cached copy of an artifact and returns it when it matches the lock. Never
 * downloads and never changes the cache. `artifact-not-cached` when it is missing;
 * `artifact-hash-mismatch` when it is truncated or differs — it is then never handed on.
 */
export async function verifyCachedArtifact(
  spec: ArtifactSpec,
  cacheRoot: string,
  onProgress?: (progress: ArtifactProgress) => void,
): Promise<VerifiedArtifact> {
  const path = cachedArtifactPath(cacheRoot, spec);
  if (!(await exists(path))) throw notCached(spec, path);
  const { sha256, bytes } = await sha256File(path, (done) =>
    onProgress?.({ artifact: spec, phase: "verify", done, total: undefined }),
  );
  if (sha256 !== spec.sha256) {
    throw mismatch(
      spec,
      `the cached copy ${path}`,
      sha256,
      bytes,
      `The file is truncated or was replaced. Run \`homelab artifacts ${spec.environment}\` to fetch it again (the bad copy is removed first).`,
    );
  }
  return { spec, path, bytes, source: "cache", resumed: false };
}

/** Where a copy to carry in with `--from` comes from: the URL, or for an image homelab's own archive. */
function whereToGetACopy(spec: ArtifactSpec): string {
  return spec.image
    ? `the archive ~/.cache/homelab/artifacts/${spec.cachePath} from a machine where \`homelab artifacts ${spec.environment}\` ran`
    : spec.url;
}

function notCached(spec: ArtifactSpec, path: string): HomelabError {
  return new HomelabError("artifact-not-cached", `the ${spec.title} is not in the cache (${path})`, {
    where: spec.recordedAt,
    fix:
      `Run \`homelab artifacts ${spec.environment}\` on a machine with internet access, or copy ${whereToGetACopy(spec)} ` +
      `into a directory as ${basename(spec.cachePath)} and run \`homelab artifacts ${spec.environment} --from DIR\` (it is verified before use).`,
  });
}

/** Moves `source` into place through a temporary name in the same directory, atomically. */
async function placeAtomically(source: string, target: string, copy: boolean): Promise<void> {
  await mkdir(dirname(target), { recursive: true });
  const temporary = `${target}.${randomBytes(4).toString("hex")}.tmp`;
  try {
    if (copy) await copyFile(source, temporary);
    else await rename(source, temporary);
    await rename(temporary, target);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

/**
 * Makes sure an artifact is in the cache and matches the lock, and returns it.
 *
 * - In the cache and matching: returned (hashed again every time: a few hundred MB/s).
 * - In the cache but different (truncated, replaced): removed, then fetched as if missing.
 * - Missing: copied from `importFrom` or downloaded (resuming `<file>.part`), hashed, and only
 *   then renamed into place. Bytes that do not match are deleted and refused with
 *   `artifact-hash-mismatch`; nothing unverified ever sits at the final path.
 * - Missing with neither `fetch` nor `importFrom`: `artifact-not-cached`.
 */
export async function ensureArtifact(
  spec: ArtifactSpec,
  options: EnsureArtifactOptions,
): Promise<VerifiedArtifact> {
  const path = cachedArtifactPath(options.cacheRoot, spec);
  if (await exists(path)) {
    try {
      return await verifyCachedArtifact(spec, options.cacheRoot, options.onProgress);
    } catch (error) {
      if (!isHomelabError(error) || error.code !== "artifact-hash-mismatch") throw error;
      if (!options.fetch && !options.importFrom) throw error;
      await rm(path, { force: true });
    }
  }

  if (options.importFrom !== undefined) {
    const source = join(options.importFrom, basename(spec.cachePath));
    if (!(await exists(source))) {
      throw new HomelabError(
        "artifact-not-cached",
        `the ${spec.title} is not in ${options.importFrom} (${source})`,
        {
          where: spec.recordedAt,
          fix: `Put a copy of ${whereToGetACopy(spec)} there as ${basename(spec.cachePath)}, or run without --from to download it.`,
        },
      );
    }
    const { sha256, bytes } = await sha256File(source, (done) =>
      options.onProgress?.({ artifact: spec, phase: "verify", done, total: undefined }),
    );
    if (sha256 !== spec.sha256) {
      throw mismatch(
        spec,
        source,
        sha256,
        bytes,
        `It is not the file the lock pins (another version or a damaged copy); nothing was imported. Fetch ${whereToGetACopy(spec)} again.`,
      );
    }
    await placeAtomically(source, path, true);
    return { spec, path, bytes, source: "import", resumed: false };
  }

  if (spec.image) return pullAddonImage(spec, spec.image, path, options);
  const fetch = options.fetch;
  if (!fetch) throw notCached(spec, path);
  const part = `${path}.part`;
  return withDownloadLock(
    dirname(path),
    { code: "artifact-download-failed", cache: "artifact", busy: `downloading into ${dirname(path)}` },
    async () => {
      let download: Awaited<ReturnType<typeof downloadResumable>>;
      try {
        download = await downloadResumable({
          url: spec.url,
          partPath: part,
          fetch,
          onProgress: (done, total) =>
            options.onProgress?.({ artifact: spec, phase: "download", done, total }),
          ...(options.maxAttempts !== undefined ? { maxAttempts: options.maxAttempts } : {}),
          ...(options.sleep ? { sleep: options.sleep } : {}),
        });
      } catch (error) {
        if (!isHomelabError(error)) throw error;
        // The downloader speaks of images; say which artifact, and keep the .part for a resume.
        throw new HomelabError("artifact-download-failed", `the ${spec.title}: ${error.message}`, {
          where: spec.recordedAt,
          fix:
            `${error.fix ?? "Check the network and run the command again."} ` +
            `Without internet access, copy ${spec.url} into a directory as ${basename(spec.cachePath)} and run \`homelab artifacts ${spec.environment} --from DIR\`.`,
        });
      }
      const { sha256, bytes } = await sha256File(part, (done) =>
        options.onProgress?.({ artifact: spec, phase: "verify", done, total: download.bytes }),
      );
      if (sha256 !== spec.sha256) {
        await rm(part, { force: true }); // never resume from bytes that failed verification
        throw mismatch(
          spec,
          `the download from ${spec.url}`,
          sha256,
          bytes,
          `The server sent other bytes than the release the lock pins; nothing was kept. Do not trust either until you know why: compare with the project's published checksums, then run \`homelab lock ${spec.environment} --update\` if the lock is wrong.`,
        );
      }
      await placeAtomically(part, path, false);
      return { spec, path, bytes, source: "download", resumed: download.resumed };
    },
  );
}

/**
 * An add-on image: pulled by the digest the lock pins (every blob checked by the registry
 * client), written as homelab's archive next to its cache path, and placed only when the
 * archive's SHA-256 is the one the lock records (it is deterministic, so it always is for the
 * same image).
 */
async function pullAddonImage(
  spec: ArtifactSpec,
  image: NonNullable<ArtifactSpec["image"]>,
  path: string,
  options: EnsureArtifactOptions,
): Promise<VerifiedArtifact> {
  const registry = options.registry;
  if (!registry) throw notCached(spec, path);
  const part = `${path}.part`;
  return withDownloadLock(
    dirname(path),
    { code: "artifact-download-failed", cache: "artifact", busy: `pulling into ${dirname(path)}` },
    async () => {
      options.onProgress?.({ artifact: spec, phase: "download", done: 0, total: undefined });
      let pulled: Awaited<ReturnType<typeof pullImageArchive>>;
      try {
        pulled = await pullImageArchive(registry, { ...image, where: spec.recordedAt }, () => part);
      } catch (error) {
        await rm(part, { force: true });
        if (!isHomelabError(error)) throw error;
        throw new HomelabError(error.code, `the ${spec.title}: ${error.message}`, {
          where: spec.recordedAt,
          fix: `${error.fix ?? "Check the network and run the command again."} Without internet access, copy ${whereToGetACopy(spec)} into a directory and run \`homelab artifacts ${spec.environment} --from DIR\`.`,
        });
      }
      if (pulled.sha256 !== spec.sha256) {
        await rm(part, { force: true });
        throw mismatch(
          spec,
          `homelab's archive of ${image.reference}@${image.digest}`,
          pulled.sha256,
          pulled.bytes,
          `The registry served the image the lock pins (every blob matched its digest), but its archive differs from the one recorded: the lock was written by another homelab version, or edited. Run \`homelab lock ${spec.environment} --update\` to record it again.`,
        );
      }
      await placeAtomically(part, path, false);
      return { spec, path, bytes: pulled.bytes, source: "download", resumed: false };
    },
  );
}

/** One file of the artifact cache, as `homelab artifacts` lists it. */
export interface CacheListing {
  /** Relative to the artifact cache: `k3s/v1.34.10+k3s1/k3s`. */
  readonly name: string;
  readonly path: string;
  readonly bytes: number;
}

/** Every artifact file in the cache (not `.part` files, locks or volumes), sorted by name. */
export async function listArtifactCache(cacheRoot: string): Promise<CacheListing[]> {
  const root = artifactCacheDir(cacheRoot);
  const found: CacheListing[] = [];
  const walk = async (dir: string): Promise<void> => {
    let entries: import("node:fs").Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (dir === root && entry.name === "volumes") continue;
        await walk(path);
      } else if (entry.isFile() && !/\.(part|tmp|lock)$/.test(entry.name)) {
        found.push({ name: relative(root, path), path, bytes: (await stat(path)).size });
      }
    }
  };
  await walk(root);
  return found.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
