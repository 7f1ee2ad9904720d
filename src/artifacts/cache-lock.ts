import { mkdir, open, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { HomelabError } from "../errors/index.js";

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
 * Holds `<dir>/download.lock` (the pid inside) while `work` runs, so that two homelab runs
 * never append to one `.part`. A lock whose process is gone is taken over once.
 */
export async function withArtifactLock<T>(dir: string, work: () => Promise<T>): Promise<T> {
  const lockPath = join(dir, "download.lock");
  const unwritable = (error: unknown) =>
    new HomelabError(
      "artifact-download-failed",
      `the artifact cache ${dir} cannot be written: ${(error as Error).message}`,
      { fix: "Make the cache directory writable, or point HOMELAB_CACHE_DIR at a writable directory." },
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
          "artifact-download-failed",
          `another homelab process (pid ${owner || "unknown"}) is downloading into ${dir}`,
          {
            fix: `Wait for it to finish, then run the command again. If no homelab runs, remove ${lockPath}.`,
          },
        );
      }
      await rm(lockPath, { force: true });
    }
  }
  try {
    return await work();
  } finally {
    await rm(lockPath, { force: true });
  }
}
