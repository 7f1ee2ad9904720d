import { mkdir, open, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { type ErrorCode, HomelabError } from "../errors/index.js";

/** How a cache names itself in the lock's errors. */
export interface DownloadLockLabels {
  /** The code of both errors, e.g. "image-download-failed". */
  readonly code: ErrorCode;
  /** "image" or "artifact": "the image cache … cannot be written". */
  readonly cache: string;
  /** What the other process is doing: "downloading this image". */
  readonly busy: string;
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

/**
 * Holds `<dir>/download.lock` (the pid inside) while `work` runs, so that two homelab runs never
 * write one `.part` at once. A lock whose process is gone is taken over once. Used by the image
 * cache and the artifact cache.
 */
export async function withDownloadLock<T>(
  dir: string,
  labels: DownloadLockLabels,
  work: () => Promise<T>,
): Promise<T> {
  const lockPath = join(dir, "download.lock");
  const unwritable = (error: unknown) =>
    new HomelabError(
      labels.code,
      `the ${labels.cache} cache ${dir} cannot be written: ${(error as Error).message}`,
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
          labels.code,
          `another homelab process (pid ${owner || "unknown"}) is ${labels.busy}`,
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
