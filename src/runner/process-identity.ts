import { readFile } from "node:fs/promises";
import { hostname as osHostname } from "node:os";

/**
 * Which process a pid meant when it was recorded. A pid alone is not enough: pids are reused
 * (a lock left by a process killed days ago may name a pid that now belongs to something
 * else), and after a reboot every pid is new. Linux gives each process a start time
 * (`/proc/<pid>/stat` field 22, clock ticks since boot) and each boot an id
 * (`/proc/sys/kernel/random/boot_id`); together with the pid they name one process for ever.
 * See proc(5): https://man7.org/linux/man-pages/man5/proc.5.html ("(22) starttime").
 */
export interface ProcessIdentity {
  readonly pid: number;
  readonly hostname: string;
  /** `/proc/<pid>/stat` starttime; absent where /proc is not available. */
  readonly startTime?: string;
  /** `/proc/sys/kernel/random/boot_id`; absent where /proc is not available. */
  readonly bootId?: string;
}

/** What a recorded identity means now. `elsewhere`: recorded on another host, cannot be checked. */
export type ProcessStatus = "alive" | "gone" | "elsewhere";

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch {
    return undefined;
  }
}

/**
 * The start time field of `/proc/<pid>/stat`. The second field (the command name) is in
 * parentheses and may itself hold spaces and parentheses, so fields are counted after the
 * last `)`: field 3 is the first one there, so starttime (22) is the 20th.
 */
export function parseStartTime(stat: string): string | undefined {
  const end = stat.lastIndexOf(")");
  if (end === -1) return undefined;
  const fields = stat
    .slice(end + 1)
    .trim()
    .split(/\s+/);
  const value = fields[19];
  return value !== undefined && /^\d+$/.test(value) ? value : undefined;
}

/** The state letter of `/proc/<pid>/stat` (field 3): `Z` is a zombie, exited but not yet reaped. */
export function parseState(stat: string): string | undefined {
  const end = stat.lastIndexOf(")");
  return end === -1 ? undefined : stat.slice(end + 1).trim()[0];
}

async function readStat(pid: number): Promise<string | undefined> {
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  return readOptional(`/proc/${pid}/stat`);
}

export async function processStartTime(pid: number): Promise<string | undefined> {
  const stat = await readStat(pid);
  return stat === undefined ? undefined : parseStartTime(stat);
}

export async function currentBootId(): Promise<string | undefined> {
  return (await readOptional("/proc/sys/kernel/random/boot_id"))?.trim() || undefined;
}

/** The identity of a running process of this host (normally this one, or a child just spawned). */
export async function identifyProcess(pid: number, hostname = osHostname()): Promise<ProcessIdentity> {
  const [startTime, bootId] = await Promise.all([processStartTime(pid), currentBootId()]);
  return {
    pid,
    hostname,
    ...(startTime === undefined ? {} : { startTime }),
    ...(bootId === undefined ? {} : { bootId }),
  };
}

function signalZero(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Whether the recorded process still runs: same host, same boot, a live pid with the same
 * start time. A record without start time or boot id (older homelab, no /proc) falls back to
 * "the pid is alive".
 */
export async function processStatus(
  recorded: ProcessIdentity,
  hostname = osHostname(),
): Promise<ProcessStatus> {
  if (recorded.hostname !== hostname) return "elsewhere";
  if (!Number.isInteger(recorded.pid) || recorded.pid <= 0) return "gone";
  if (recorded.bootId !== undefined) {
    const bootId = await currentBootId();
    if (bootId !== undefined && bootId !== recorded.bootId) return "gone";
  }
  if (!signalZero(recorded.pid)) return "gone";
  const stat = await readStat(recorded.pid);
  if (stat !== undefined) {
    // An orphan's exit is reaped by whatever adopted it; until then it is a zombie that
    // answers signal 0 but runs nothing (containers whose pid 1 never reaps keep it for ever).
    if (parseState(stat) === "Z") return "gone";
    const startTime = parseStartTime(stat);
    if (recorded.startTime !== undefined && startTime !== undefined && startTime !== recorded.startTime)
      return "gone";
  }
  return "alive";
}

/** Reads a recorded identity from untrusted JSON; undefined when it does not hold one. */
export function parseProcessIdentity(value: unknown): ProcessIdentity | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const record = value as Record<string, unknown>;
  if (typeof record.pid !== "number" || typeof record.hostname !== "string") return undefined;
  return {
    pid: record.pid,
    hostname: record.hostname,
    ...(typeof record.startTime === "string" ? { startTime: record.startTime } : {}),
    ...(typeof record.bootId === "string" ? { bootId: record.bootId } : {}),
  };
}
