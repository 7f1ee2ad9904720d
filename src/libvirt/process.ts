import { spawn } from "node:child_process";

/** What a finished child process left behind. `missing` is set when the program is not installed. */
export interface ProcessResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
  /** True when the program could not be started because it does not exist (ENOENT). */
  readonly missing: boolean;
  /** True when the process was killed after `timeoutMs`. */
  readonly timedOut: boolean;
}

export interface RunProcessOptions {
  /** Kill the process after this many milliseconds. Default 30 000. */
  readonly timeoutMs?: number;
  /** Extra environment variables, added to the inherited environment. */
  readonly env?: Readonly<Record<string, string>>;
}

/**
 * Runs a program and collects its output; never throws for a non-zero exit. Injected wherever
 * homelab talks to host tools (virsh, tofu --version, ssh -V), so unit tests can replay outputs
 * and integration tests run the real programs.
 */
export type ProcessRunner = (
  program: string,
  args: readonly string[],
  options?: RunProcessOptions,
) => Promise<ProcessResult>;

/** The real runner: spawns without a shell, so arguments never need quoting. */
export const runProcess: ProcessRunner = (program, args, options = {}) =>
  new Promise((resolve) => {
    const child = spawn(program, [...args], {
      stdio: ["ignore", "pipe", "pipe"],
      env: options.env ? { ...process.env, ...options.env } : process.env,
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, options.timeoutMs ?? 30_000);
    child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
    child.on("error", (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve({
        exitCode: 127,
        stdout: "",
        stderr: error.message,
        missing: error.code === "ENOENT",
        timedOut: false,
      });
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({
        exitCode: code ?? (signal ? 128 : 1),
        stdout: Buffer.concat(stdout).toString("utf8"),
        stderr: Buffer.concat(stderr).toString("utf8"),
        missing: false,
        timedOut,
      });
    });
  });
