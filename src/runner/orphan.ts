import { randomBytes } from "node:crypto";
import { readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { hostname as osHostname } from "node:os";
import { basename, dirname, join } from "node:path";
import { HomelabError } from "../errors/index.js";
import { followFile } from "./child-process.js";
import type { InterruptSource } from "./interrupt.js";
import { type ProcessIdentity, parseProcessIdentity, processStatus } from "./process-identity.js";

/**
 * The tofu process a homelab run has started, recorded beside the state while it runs
 * (`<state>/tofu/running.json`). tofu runs in its own session with its output in a log file,
 * so it survives homelab's death (a closed terminal, kill -9); this record is how the next
 * homelab run finds it, waits for it and tells the user where its output went.
 */
export interface RunningTofuRecord extends ProcessIdentity {
  /** `tofu` or `terraform`. */
  readonly program: string;
  readonly subcommand: string;
  readonly logFile: string;
  /** The homelab process that started it. */
  readonly homelabPid: number;
}

export async function writeRunningTofu(path: string, record: RunningTofuRecord): Promise<void> {
  const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(4).toString("hex")}.tmp`);
  await writeFile(temporary, `${JSON.stringify(record)}\n`, { mode: 0o600 });
  await rename(temporary, path);
}

export async function clearRunningTofu(path: string): Promise<void> {
  await rm(path, { force: true });
}

export async function readRunningTofu(path: string): Promise<RunningTofuRecord | undefined> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch {
    return undefined;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const identity = parseProcessIdentity(value);
  if (identity === undefined) return undefined;
  const record = value as Partial<RunningTofuRecord>;
  return {
    ...identity,
    program: typeof record.program === "string" ? record.program : "tofu",
    subcommand: typeof record.subcommand === "string" ? record.subcommand : "apply",
    logFile: typeof record.logFile === "string" ? record.logFile : "",
    homelabPid: typeof record.homelabPid === "number" ? record.homelabPid : 0,
  };
}

export interface AwaitOrphanOptions {
  readonly recordPath: string;
  /** The orphan's output, from where its log stands now. */
  readonly onOutput: (line: string) => void;
  readonly onNotice: (message: string) => void;
  /** First interrupt: SIGINT to the orphan (its graceful stop); second: stop waiting. */
  readonly interrupts?: InterruptSource;
  readonly hostname?: string;
  /** How often the orphan is checked; default 200 ms. */
  readonly pollMs?: number;
}

function describe(record: RunningTofuRecord): string {
  return `\`${record.program} ${record.subcommand}\` (pid ${record.pid}, started by homelab pid ${record.homelabPid})`;
}

async function lastLine(logFile: string): Promise<string | undefined> {
  try {
    const text = await readFile(logFile, "utf8");
    const lines = text
      .split("\n")
      .map((line) => line.trim())
      .filter((line) => line !== "");
    return lines.at(-1);
  } catch {
    return undefined;
  }
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

/**
 * Deals with a tofu run that an earlier homelab left behind (it was killed or lost its
 * terminal while tofu ran): waits for it when it still runs — following its log — and says
 * what became of it; refuses with `tofu-orphaned` when it ran on another host or the user
 * stops the wait. Returns at once when there is no record.
 */
export async function awaitOrphanedTofu(options: AwaitOrphanOptions): Promise<void> {
  const record = await readRunningTofu(options.recordPath);
  if (record === undefined) {
    await clearRunningTofu(options.recordPath); // absent, or unreadable: nothing to wait for
    return;
  }
  if (record.homelabPid === process.pid) return; // our own, still being cleaned up
  const hostname = options.hostname ?? osHostname();
  const status = await processStatus(record, hostname);
  const output = record.logFile ? ` Its output is in ${record.logFile}.` : "";
  if (status === "elsewhere") {
    throw new HomelabError(
      "tofu-orphaned",
      `${describe(record)} was started on ${record.hostname} for this environment and may still be running there`,
      {
        where: { file: options.recordPath },
        fix:
          `Wait for it to finish on ${record.hostname}.${output} When you are sure it no longer runs, delete ` +
          `${options.recordPath} and run the command again.`,
      },
    );
  }
  if (status === "alive") {
    options.onNotice(
      `${describe(record)} is still running: homelab was stopped while it ran. Waiting for it to finish (Ctrl-C asks it to stop).${output}`,
    );
    await waitForOrphan(record, options);
  }
  const outcome = record.logFile ? await lastLine(record.logFile) : undefined;
  options.onNotice(
    `${describe(record)}, left running by a homelab that stopped, has finished${outcome ? ` (its last line: ${outcome})` : ""}.${output}`,
  );
  await clearRunningTofu(options.recordPath);
}

async function waitForOrphan(record: RunningTofuRecord, options: AwaitOrphanOptions): Promise<void> {
  const pollMs = options.pollMs ?? 200;
  let abandon: ((error: HomelabError) => void) | undefined;
  const abandoned = new Promise<never>((_resolve, reject) => {
    abandon = reject;
  });
  let stopWaiting = false;
  const gone = (async () => {
    while (!stopWaiting && (await processStatus(record, record.hostname)) === "alive")
      await new Promise((resolve) => setTimeout(resolve, pollMs));
  })();
  let interrupts = 0;
  const unsubscribe =
    options.interrupts?.subscribe(() => {
      interrupts++;
      if (interrupts === 1) {
        try {
          process.kill(record.pid, "SIGINT");
        } catch {
          // it ended meanwhile
        }
        options.onNotice(`asked ${describe(record)} to stop; waiting for it to write its state.`);
        return;
      }
      stopWaiting = true;
      abandon?.(
        new HomelabError("tofu-orphaned", `stopped waiting for ${describe(record)}, which is still running`, {
          where: { file: options.recordPath },
          fix:
            `It is finishing its work and writing the state; let it. Follow it with \`tail -f ${record.logFile}\`, ` +
            `and run the command again once \`ps -p ${record.pid}\` shows it has exited.`,
        }),
      );
    }) ?? (() => undefined);
  abandoned.catch(() => undefined);
  try {
    const following = record.logFile
      ? followFile(record.logFile, await sizeOf(record.logFile), options.onOutput, gone).catch(() => gone)
      : gone;
    await Promise.race([following, abandoned]);
  } finally {
    stopWaiting = true;
    unsubscribe();
  }
}
