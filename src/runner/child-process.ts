import { type ChildProcess, spawn } from "node:child_process";
import { constants } from "node:os";
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

export interface StreamedChildOptions extends ChildOptions {
  /** Every complete line of output, without its newline. */
  readonly onLine: (stream: OutputStream, line: string) => void;
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

function exitStatus(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  const number = signal ? constants.signals[signal] : undefined;
  return number === undefined ? 1 : 128 + number;
}

function start(options: ChildOptions): ChildProcess {
  return spawn(options.command, [...options.args], {
    cwd: options.cwd,
    env: options.env,
    stdio: ["ignore", "pipe", "pipe"],
    // Its own process group: Ctrl-C in the terminal reaches homelab only, which forwards
    // exactly one SIGINT. Otherwise the child would get the terminal's SIGINT *and* ours.
    detached: true,
  });
}

function supervise(child: ChildProcess, options: ChildOptions): Promise<ChildResult> {
  let interrupted = false;
  const unsubscribe = options.interrupts?.subscribe(() => {
    if (interrupted) {
      options.onRepeatedInterrupt?.();
      return;
    }
    interrupted = true;
    child.kill("SIGINT");
  });
  return new Promise<ChildResult>((resolvePromise, reject) => {
    child.once("error", (error) => {
      unsubscribe?.();
      reject(error);
    });
    child.once("close", (code, signal) => {
      unsubscribe?.();
      resolvePromise({ exitCode: exitStatus(code, signal), interrupted });
    });
  });
}

function splitLines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let pending = "";
  stream.setEncoding("utf8");
  stream.on("data", (chunk: string) => {
    pending += chunk;
    let newline = pending.indexOf("\n");
    while (newline !== -1) {
      onLine(pending.slice(0, newline).replace(/\r$/, ""));
      pending = pending.slice(newline + 1);
      newline = pending.indexOf("\n");
    }
  });
  stream.on("end", () => {
    if (pending !== "") onLine(pending);
    pending = "";
  });
}

/** Runs a program, handing each output line to `onLine` as it arrives. */
export function runStreamed(options: StreamedChildOptions): Promise<ChildResult> {
  const child = start(options);
  if (child.stdout) splitLines(child.stdout, (line) => options.onLine("stdout", line));
  if (child.stderr) splitLines(child.stderr, (line) => options.onLine("stderr", line));
  return supervise(child, options);
}

/** Runs a program and collects its output (for `show -json`, `state list`). */
export async function runCaptured(options: ChildOptions): Promise<CapturedChildResult> {
  const child = start(options);
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
