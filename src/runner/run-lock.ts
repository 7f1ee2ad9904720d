import { link, mkdir, open, readFile, rename, rm, stat } from "node:fs/promises";
import { dirname } from "node:path";
import { HomelabError } from "../errors/index.js";
import {
  identifyProcess,
  type ProcessIdentity,
  type ProcessStatus,
  parseProcessIdentity,
  processStatus,
} from "./process-identity.js";

/** Who holds an environment's run lock; written into the lock file as JSON. */
export interface RunLockHolder {
  readonly pid: number;
  readonly hostname: string;
  /** ISO 8601, from the CLI's clock. */
  readonly startedAt: string;
  /** e.g. `homelab apply development`. */
  readonly command: string;
}

/** What the lock file holds: the holder and, on Linux, its process's start time and boot id. */
type RecordedHolder = RunLockHolder & Pick<ProcessIdentity, "startTime" | "bootId">;

export interface RunLockOptions {
  /** `stateLayout(dir).runLock`. */
  readonly path: string;
  readonly holder: RunLockHolder;
  /**
   * Whether a recorded holder still runs (default: same host, same boot, a live pid with the
   * same start time — see process-identity.ts). Injectable for tests.
   */
  readonly holderStatus?: (holder: ProcessIdentity) => Promise<ProcessStatus>;
}

export interface RunLock {
  /** The holder of a stale lock that was taken over (its process had gone), if any. */
  readonly replacedStale: RunLockHolder | undefined;
  /** What to tell the user about a stale lock that was taken over, if one was. */
  readonly staleNotice: string | undefined;
  release(): Promise<void>;
}

/**
 * A lock file is created (O_EXCL) and filled in one breath; one that is still empty or
 * unreadable this long after it was last written was left by a process that died in between
 * (or was damaged), and is stale.
 */
export const UNREADABLE_LOCK_GRACE_MS = 5000;

function parseHolder(text: string): RecordedHolder | undefined {
  try {
    const value = JSON.parse(text) as Partial<RunLockHolder>;
    const identity = parseProcessIdentity(value);
    if (identity) {
      return {
        ...identity,
        startedAt: typeof value.startedAt === "string" ? value.startedAt : "an unknown time",
        command: typeof value.command === "string" ? value.command : "homelab",
      };
    }
  } catch {
    // Unreadable content is handled by the caller.
  }
  return undefined;
}

function describe(holder: RunLockHolder): string {
  return `\`${holder.command}\` (pid ${holder.pid} on ${holder.hostname}, started ${holder.startedAt})`;
}

async function createExclusive(path: string, holder: RecordedHolder): Promise<boolean> {
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
 * Takes the environment's run lock: a file created with O_EXCL holding pid, host, start time
 * and (on Linux) the process's start time in ticks and the boot id. A lock is stale, and taken
 * over, when its holder was on this host and is gone: the pid is dead, belongs to a newer
 * process (pid reuse: another start time) or to an earlier boot; or when the file has been
 * empty or unreadable for more than a few seconds. Any other lock refuses the run with
 * `run-in-progress`, naming its holder; another host's lock is never taken over.
 */
export async function acquireRunLock(options: RunLockOptions): Promise<RunLock> {
  const here = options.holder.hostname;
  const holderStatus = options.holderStatus ?? ((holder: ProcessIdentity) => processStatus(holder, here));
  await mkdir(dirname(options.path), { recursive: true, mode: 0o700 });
  const identity = await identifyProcess(options.holder.pid, here);
  const recorded: RecordedHolder = {
    ...options.holder,
    ...(identity.startTime === undefined ? {} : { startTime: identity.startTime }),
    ...(identity.bootId === undefined ? {} : { bootId: identity.bootId }),
  };
  // "Now" is the holder's start time, from the CLI's clock (the library reads no clock).
  const now = Date.parse(options.holder.startedAt);
  let replacedStale: RunLockHolder | undefined;
  let staleNotice: string | undefined;
  for (let attempt = 0; attempt < 8; attempt++) {
    if (await createExclusive(options.path, recorded)) {
      let released = false;
      return {
        replacedStale,
        staleNotice,
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
      const modified = await stat(options.path).then(
        (info) => info.mtimeMs,
        () => undefined,
      );
      if (modified === undefined) continue;
      const age = Number.isNaN(now) ? 0 : now - modified;
      if (age > UNREADABLE_LOCK_GRACE_MS) {
        const what = text.trim() === "" ? "empty" : "unreadable";
        staleNotice = `took over a stale run lock: ${options.path} was ${what} for ${Math.round(age / 1000)}s (a homelab that died while creating it, or a damaged file)`;
        await removeStale(options.path, text);
        continue;
      }
      if (attempt < 7) {
        // Probably being written right now: look again in a moment.
        await new Promise((resolve) => setTimeout(resolve, 200));
        continue;
      }
      throw new HomelabError(
        "run-in-progress",
        `the run lock ${options.path} exists but does not name its holder (yet)`,
        {
          where: { file: options.path },
          fix: `Another homelab command is probably starting for this environment: wait for it. A lock that stays unreadable is taken over after ${UNREADABLE_LOCK_GRACE_MS / 1000}s.`,
        },
      );
    }
    const status = await holderStatus(holder);
    if (status === "gone") {
      replacedStale = holder;
      staleNotice = `took over a stale run lock left by \`${holder.command}\` (pid ${holder.pid}, started ${holder.startedAt}), which is no longer running`;
      await removeStale(options.path, text);
      continue;
    }
    const sameHost = status === "alive";
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
