import { type ChildProcess, spawn } from "node:child_process";
import { open } from "node:fs/promises";
import { constants } from "node:os";
import { StringDecoder } from "node:string_decoder";
import type { InterruptSource } from "./interrupt.js";

export type OutputStream = "stdout" | "stderr";

export interface ChildOptions {
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /**
   * While the child runs, the first interrupt is forwarded to it as SIGINT and the child is
   * awaited; later interrupts only call `onRepeatedInterrupt`. OpenTofu treats a second SIGINT
   * as "exit now, state may be lost", so homelab never sends one.
   */
  readonly interrupts?: InterruptSource;
  readonly onRepeatedInterrupt?: () => void;
}

export interface LoggedChildOptions extends ChildOptions {
  /**
   * The child's stdout and stderr, appended (created 0600). A file, not a pipe: a pipe dies
   * with homelab, and the next line tofu writes into it would kill tofu with SIGPIPE in the
   * middle of an apply. A file outlives homelab, and the user can read it afterwards.
   */
  readonly logFile: string;
  /** Every complete line the child writes, without its newline, as it appears in the log. */
  readonly onLine: (line: string) => void;
  /** Called as soon as the child runs, so that the caller can record its pid. */
  readonly onSpawn?: (pid: number) => Promise<void> | void;
}

export interface ChildResult {
  /** The exit status; 128 + signal number when killed by a signal (as shells report it). */
  readonly exitCode: number;
  readonly interrupted: boolean;
}

export interface CapturedChildResult extends ChildResult {
  readonly stdout: string;
  readonly stderr: string;
}

/** How often a log is read for new lines while its writer runs. */
const TAIL_INTERVAL_MS = 100;
/** A "line" longer than this is passed on in pieces rather than held in memory. */
const MAX_LINE = 1 << 20;

function exitStatus(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  const number = signal ? constants.signals[signal] : undefined;
  return number === undefined ? 1 : 128 + number;
}

function start(options: ChildOptions, stdio: ("ignore" | "pipe" | number)[]): ChildProcess {
  return spawn(options.command, [...options.args], {
    cwd: options.cwd,
    env: options.env,
    // stdin is /dev/null: nothing ties the child to homelab's terminal.
    stdio: stdio as ["ignore", "pipe" | number, "pipe" | number],
    // Its own session (setsid): Ctrl-C and the hangup of closing the terminal reach homelab
    // only, which forwards exactly one SIGINT; and the child outlives homelab if it must.
    detached: true,
  });
}

/**
 * Forwards the first interrupt to `signal()` and counts the rest; returns the unsubscribe
 * function and whether an interrupt came.
 */
export function forwardFirstInterrupt(
  options: Pick<ChildOptions, "interrupts" | "onRepeatedInterrupt">,
  signal: () => void,
): { readonly unsubscribe: () => void; readonly interrupted: () => boolean } {
  let interrupted = false;
  const unsubscribe =
    options.interrupts?.subscribe(() => {
      if (interrupted) {
        options.onRepeatedInterrupt?.();
        return;
      }
      interrupted = true;
      signal();
    }) ?? (() => undefined);
  return { unsubscribe, interrupted: () => interrupted };
}

function supervise(child: ChildProcess, options: ChildOptions): Promise<ChildResult> {
  const forwarding = forwardFirstInterrupt(options, () => {
    try {
      child.kill("SIGINT");
    } catch {
      // already gone
    }
  });
  return new Promise<ChildResult>((resolvePromise, reject) => {
    child.once("error", (error) => {
      forwarding.unsubscribe();
      reject(error);
    });
    child.once("close", (code, signal) => {
      forwarding.unsubscribe();
      resolvePromise({ exitCode: exitStatus(code, signal), interrupted: forwarding.interrupted() });
    });
  });
}

/** Splits a stream of text into lines; `flush()` passes on the last, unterminated one. */
export function lineSplitter(onLine: (line: string) => void): {
  push(text: string): void;
  flush(): void;
} {
  let pending = "";
  return {
    push(text) {
      pending += text;
      let newline = pending.indexOf("\n");
      while (newline !== -1) {
        onLine(pending.slice(0, newline).replace(/\r$/, ""));
        pending = pending.slice(newline + 1);
        newline = pending.indexOf("\n");
      }
      if (pending.length > MAX_LINE) {
        onLine(pending);
        pending = "";
      }
    },
    flush() {
      if (pending !== "") onLine(pending.replace(/\r$/, ""));
      pending = "";
    },
  };
}

/**
 * Follows a file that another process appends to, from `offset`, handing each line to
 * `onLine`, until `done` settles; then reads what is left and stops. Returns the offset
 * reached.
 */
export async function followFile(
  path: string,
  offset: number,
  onLine: (line: string) => void,
  done: Promise<unknown>,
): Promise<number> {
  let finished = false;
  const settled = done.then(
    () => {
      finished = true;
    },
    () => {
      finished = true;
    },
  );
  const handle = await open(path, "r");
  const decoder = new StringDecoder("utf8");
  const lines = lineSplitter(onLine);
  const buffer = Buffer.alloc(1 << 16);
  let position = offset;
  try {
    for (;;) {
      const last = finished;
      for (;;) {
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
        if (bytesRead === 0) break;
        position += bytesRead;
        lines.push(decoder.write(buffer.subarray(0, bytesRead)));
      }
      if (last) break;
      await Promise.race([settled, new Promise((resolve) => setTimeout(resolve, TAIL_INTERVAL_MS))]);
    }
    lines.push(decoder.end());
    lines.flush();
    return position;
  } finally {
    await handle.close();
  }
}

/**
 * Runs a program detached from homelab — its own session, stdin from /dev/null, stdout and
 * stderr appended to `logFile` — and follows the log, handing each line to `onLine`. If
 * homelab dies, the program runs on to its end undisturbed.
 */
export async function runLogged(options: LoggedChildOptions): Promise<ChildResult> {
  const log = await open(options.logFile, "a", 0o600);
  let child: ChildProcess;
  let offset: number;
  try {
    offset = (await log.stat()).size;
    child = start(options, ["ignore", log.fd, log.fd]);
  } finally {
    // The child holds its own copy of the descriptor.
    await log.close();
  }
  const result = supervise(child, options);
  if (child.pid !== undefined) {
    try {
      await options.onSpawn?.(child.pid);
    } catch {
      // The record is a safety net for homelab's death; the child must still be followed.
    }
  }
  await followFile(options.logFile, offset, options.onLine, result);
  return result;
}

/** Runs a program and collects its output (for `show -json`, `state list`: read-only commands). */
export async function runCaptured(options: ChildOptions): Promise<CapturedChildResult> {
  const child = start(options, ["ignore", "pipe", "pipe"]);
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout?.on("data", (chunk: Buffer) => stdout.push(chunk));
  child.stderr?.on("data", (chunk: Buffer) => stderr.push(chunk));
  const result = await supervise(child, options);
  return {
    ...result,
    stdout: Buffer.concat(stdout).toString("utf8"),
    stderr: Buffer.concat(stderr).toString("utf8"),
  };
}
