import { spawn } from "node:child_process";
import type { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { sshClientMissing } from "./client-missing.js";
import { hostKeyMismatchError, isHostKeyMismatch } from "./host-key-errors.js";
import { ensureKnownHostsFile } from "./known-hosts.js";
import { remoteCommandLine } from "./remote-command.js";
import { type SshTarget, sshArguments } from "./ssh-options.js";

export interface SshStreamOptions {
  /** The ssh program (default `ssh` from PATH). */
  readonly ssh?: string;
  /** Node name, for messages. */
  readonly nodeName?: string;
  /**
   * Kill ssh after this long (default 60 s). A backstop only: ServerAliveInterval (15 s, three
   * misses) already ends a transfer whose connection died.
   */
  readonly timeoutMs?: number;
  readonly connectTimeoutSeconds?: number;
  /** Sent to the remote command's stdin, then end of file; without it the remote stdin is empty. */
  readonly input?: Readable;
  /** Receives the remote stdout, with backpressure; without it stdout is collected into the result. */
  readonly output?: Writable;
}

export interface SshStreamResult {
  /** ssh's exit status: the remote command's, or 255 when ssh itself failed (or the link dropped). */
  readonly exitCode: number;
  /** The remote stdout as text, when no `output` stream was given ("" otherwise). */
  readonly stdout: string;
  readonly stderr: string;
  /** ssh was killed because `timeoutMs` passed. */
  readonly timedOut: boolean;
}

/** stderr kept for messages; a chatty command (k3s logs) must not grow memory without bound. */
const STDERR_LIMIT = 256 * 1024;

/**
 * Runs one command on a node without a terminal, with its argument vector quoted for the
 * remote shell (`remoteCommandLine`), and streams: `input` to its stdin, its stdout to
 * `output`. For files of hundreds of MB (etcd snapshots) in both directions.
 *
 * A local failure while streaming (the input cannot be read, the output cannot be written,
 * e.g. a full disk) kills ssh and rejects with that error; the caller decides what it means.
 * A remote failure or a dropped connection is a non-zero `exitCode`. A changed host key is
 * `ssh-host-key-mismatch`.
 */
export async function runSshStream(
  target: SshTarget,
  argv: readonly string[],
  options: SshStreamOptions = {},
): Promise<SshStreamResult> {
  await ensureKnownHostsFile(target.knownHostsFile);
  const args = sshArguments(target, [remoteCommandLine(argv)], {
    batch: true,
    connectTimeoutSeconds: options.connectTimeoutSeconds,
  });
  const result = await new Promise<SshStreamResult>((resolvePromise, reject) => {
    const child = spawn(options.ssh ?? "ssh", args, { stdio: ["pipe", "pipe", "pipe"] });
    let localFailure: unknown;
    let settled = false;
    const failLocally = (error: unknown) => {
      if (localFailure !== undefined) return;
      localFailure = error;
      child.kill("SIGTERM");
    };

    const stdout: Buffer[] = [];
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      if (stderr.length < STDERR_LIMIT) stderr += chunk.toString("utf8");
    });
    const outputDone = options.output
      ? pipeline(child.stdout, options.output).catch(failLocally)
      : new Promise<void>((done) => {
          child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
          child.stdout.once("end", done);
          child.stdout.once("error", done);
        });

    // EPIPE: the remote command stopped reading (it failed, or the link dropped); its exit status says why.
    child.stdin.on("error", () => undefined);
    if (options.input) {
      options.input.once("error", failLocally);
      options.input.pipe(child.stdin);
    } else {
      child.stdin.end();
    }

    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGTERM");
    }, options.timeoutMs ?? 60_000);

    child.once("error", (error) => {
      // Only a failure to start ssh at all ends up here (no pid); later errors surface as its exit status.
      if (child.pid !== undefined || settled) return;
      settled = true;
      clearTimeout(timer);
      reject(sshClientMissing(error));
    });
    child.once("close", (code) => {
      clearTimeout(timer);
      options.input?.unpipe();
      void outputDone.then(() => {
        if (settled) return;
        settled = true;
        if (localFailure !== undefined) {
          reject(localFailure);
          return;
        }
        resolvePromise({
          exitCode: code ?? 255,
          stdout: Buffer.concat(stdout).toString("utf8"),
          stderr,
          timedOut,
        });
      });
    });
  });
  if (result.exitCode === 255 && isHostKeyMismatch(result.stderr))
    throw hostKeyMismatchError(target, options.nodeName);
  return result;
}
