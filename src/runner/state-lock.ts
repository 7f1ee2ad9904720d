import { readFile } from "node:fs/promises";

/** What tofu's local backend writes beside the state while it holds the state lock. */
export interface StateLockInfo {
  readonly id: string;
  readonly operation?: string;
  readonly who?: string;
  readonly created?: string;
}

export async function readStateLockInfo(path: string): Promise<StateLockInfo | undefined> {
  try {
    const value = JSON.parse(await readFile(path, "utf8")) as Record<string, unknown>;
    if (typeof value.ID !== "string" || value.ID === "") return undefined;
    return {
      id: value.ID,
      ...(typeof value.Operation === "string" ? { operation: value.Operation } : {}),
      ...(typeof value.Who === "string" ? { who: value.Who } : {}),
      ...(typeof value.Created === "string" ? { created: value.Created } : {}),
    };
  } catch {
    return undefined;
  }
}

/** The lock ID tofu printed (`  ID:        <uuid>` under "Lock Info:"), if it did. */
function printedLockId(lines: readonly string[]): string | undefined {
  for (const line of lines) {
    const match = /^\s*ID:\s+(\S+)\s*$/.exec(line);
    if (match?.[1]) return match[1];
  }
  return undefined;
}

export interface StateLockContext {
  readonly program: string;
  readonly lockInfo: string;
  readonly workingDir: string;
  readonly dataDir: string;
  readonly exitCode: number;
}

/**
 * When tofu failed because another process holds the state lock, the message and fix that say
 * exactly how to recover; undefined for any other failure. The local backend locks with
 * fcntl on the state file, so a lock held by a process that died is released by the kernel:
 * a refusal means a live process holds it — another tofu started by hand, or one on another
 * host sharing the state directory — or the file system does not release locks (NFS).
 */
export async function stateLockError(
  lines: readonly string[],
  context: StateLockContext,
): Promise<{ message: string; fix: string } | undefined> {
  if (!lines.some((line) => /Error acquiring the state lock/i.test(line))) return undefined;
  const info = await readStateLockInfo(context.lockInfo);
  const id = printedLockId(lines) ?? info?.id ?? "<ID>";
  const holder = info
    ? ` (held for ${info.operation ?? "an operation"} by ${info.who ?? "an unknown user"} since ${info.created ?? "an unknown time"})`
    : "";
  return {
    message: `${context.program} could not take the OpenTofu state lock: another ${context.program} process holds it${holder}`,
    fix:
      `Wait for that process to finish (\`ps -ef | grep -E 'tofu|terraform'\` shows it). If none runs any more — ` +
      `only then — release the lock and run the command again:\n` +
      `  cd ${context.workingDir} && TF_DATA_DIR=${context.dataDir} ${context.program} force-unlock -force ${id}\n` +
      `The lock's details are in ${context.lockInfo}.`,
  };
}
