import { link, mkdir, open, readFile, rename, rm } from "node:fs/promises";
import { dirname } from "node:path";
import { HomelabError } from "../errors/index.js";

/** Who holds an environment's run lock; written into the lock file as JSON. */
export interface RunLockHolder {
  readonly pid: number;
  readonly hostname: string;
  /** ISO 8601, from the CLI's clock. */
  readonly startedAt: string;
  /** e.g. `homelab apply development`. */
  readonly command: string;
}

export interface RunLockOptions {
  /** `stateLayout(dir).runLock`. */
  readonly path: string;
  readonly holder: RunLockHolder;
  /** Whether a process of this host is alive (default: signal 0). Injectable for tests. */
  readonly isProcessAlive?: (pid: number) => boolean;
}

export interface RunLock {
  /** The holder of a stale lock that was taken over (its process had gone), if any. */
  readonly replacedStale: RunLockHolder | undefined;
  release(): Promise<void>;
}

function defaultIsProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function parseHolder(text: string): RunLockHolder | undefined {
  try {
    const value = JSON.parse(text) as Partial<RunLockHolder>;
    if (typeof value.pid === "number" && typeof value.hostname === "string") {
      return {
        pid: value.pid,
        hostname: value.hostname,
        startedAt: typeof value.startedAt === "string" ? value.startedAt : "an unknown time",
        command: typeof value.command === "string" ? value.command : "homelab",
      };
    }
  } catch {
    // Unreadable content is reported as an unknown holder below.
  }
  return undefined;
}

function describe(holder: RunLockHolder): string {
  return `\`${holder.command}\` (pid ${holder.pid} on ${holder.hostname}, started ${holder.startedAt})`;
}

async function createExclusive(path: string, holder: RunLockHolder): Promise<boolean> {
  try {
    const handle = await open(path, "wx", 0o600);
    try {
      await handle.writeFile(`${JSON.stringify(holder)}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  }
}

async function readExisting(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/**
 * Moves a stale lock aside, unless someone replaced it since we read it: then it is put back
 * (with link(), which fails rather than overwrite) and the caller tries again.
 */
async function removeStale(path: string, staleText: string): Promise<void> {
  const aside = `${path}.stale-${process.pid}`;
  try {
    await rename(path, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw error;
  }
  const moved = await readFile(aside, "utf8");
  if (moved !== staleText) await link(aside, path).catch(() => undefined);
  await rm(aside, { force: true });
}

/**
 * Takes the environment's run lock: a file created with O_EXCL holding pid, host and start
 * time. A lock left by a process of this host that no longer runs is taken over; any other
 * lock refuses the run with `run-in-progress`, naming its holder.
 */
export async function acquireRunLock(options: RunLockOptions): Promise<RunLock> {
  const isAlive = options.isProcessAlive ?? defaultIsProcessAlive;
  await mkdir(dirname(options.path), { recursive: true, mode: 0o700 });
  let replacedStale: RunLockHolder | undefined;
  for (let attempt = 0; attempt < 5; attempt++) {
    if (await createExclusive(options.path, options.holder)) {
      let released = false;
      return {
        replacedStale,
        release: async () => {
          if (released) return;
          released = true;
          await rm(options.path, { force: true });
        },
      };
    }
    const text = await readExisting(options.path);
    if (text === undefined) continue; // released between our two calls
    const holder = parseHolder(text);
    if (holder === undefined) {
      throw new HomelabError(
        "run-in-progress",
        `the run lock ${options.path} exists but does not name its holder`,
        {
          where: { file: options.path },
          fix: `If no homelab command is running for this environment, delete ${options.path} and try again.`,
        },
      );
    }
    const sameHost = holder.hostname === options.holder.hostname;
    if (sameHost && !isAlive(holder.pid)) {
      replacedStale = holder;
      await removeStale(options.path, text);
      continue;
    }
    throw new HomelabError("run-in-progress", `another run holds this environment: ${describe(holder)}`, {
      where: { file: options.path },
      fix: sameHost
        ? `Wait for it to finish (or stop it with Ctrl-C in its terminal), then try again.`
        : `Wait for it to finish. If you are sure nothing runs on ${holder.hostname} any more, delete ${options.path}.`,
    });
  }
  throw new HomelabError("run-in-progress", `the run lock ${options.path} keeps changing hands`, {
    where: { file: options.path },
    fix: "Several homelab commands are starting at once for this environment. Run one at a time.",
  });
}

/** Runs `work` while holding the run lock; the lock is released however `work` ends. */
export async function withRunLock<T>(
  options: RunLockOptions,
  work: (lock: RunLock) => Promise<T>,
): Promise<T> {
  const lock = await acquireRunLock(options);
  try {
    return await work(lock);
  } finally {
    await lock.release();
  }
}
