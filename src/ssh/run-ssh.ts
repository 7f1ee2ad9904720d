import { spawn } from "node:child_process";
import { sshClientMissing } from "./client-missing.js";
import { hostKeyMismatchError, isHostKeyMismatch } from "./host-key-errors.js";
import { ensureKnownHostsFile } from "./known-hosts.js";
import { type SshTarget, sshArguments } from "./ssh-options.js";

export interface SshRunOptions {
  /** The ssh program (default `ssh` from PATH). */
  readonly ssh?: string;
  /** Node name, for messages. */
  readonly nodeName?: string;
  /** Kill ssh after this long (default 60 s). */
  readonly timeoutMs?: number;
  readonly connectTimeoutSeconds?: number;
}

export interface SshCommandResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs one command on a node without a terminal (BatchMode: no prompts) and collects its
 * output. A changed host key becomes `ssh-host-key-mismatch`; any other failure is returned
 * with ssh's exit status (255 = ssh itself failed, e.g. the node does not answer yet).
 */
export async function runSshCommand(
  target: SshTarget,
  command: readonly string[],
  options: SshRunOptions = {},
): Promise<SshCommandResult> {
  await ensureKnownHostsFile(target.knownHostsFile);
  const args = sshArguments(target, command, {
    batch: true,
    connectTimeoutSeconds: options.connectTimeoutSeconds,
  });
  const result = await new Promise<SshCommandResult>((resolvePromise, reject) => {
    const child = spawn(options.ssh ?? "ssh", args, { stdio: ["ignore", "pipe", "pipe"] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
    const timer = setTimeout(() => child.kill("SIGTERM"), options.timeoutMs ?? 60_000);
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(sshClientMissing(error));
    });
    child.once("close", (code) => {
      clearTimeout(timer);
      resolvePromise({
        exitCode: code ?? 255,
        stdout: Buffer.concat(stdout).toString("utf8"),
        stderr: Buffer.concat(stderr).toString("utf8"),
      });
    });
  });
  if (result.exitCode === 255 && isHostKeyMismatch(result.stderr))
    throw hostKeyMismatchError(target, options.nodeName);
  return result;
}

export interface InteractiveSshIo {
  readonly stderr: NodeJS.WritableStream;
}

/**
 * `homelab ssh`: ssh with the user's terminal (stdin and stdout inherited). stderr is passed
 * through as it comes and also watched, so that a changed host key ends in
 * `ssh-host-key-mismatch` with its fix rather than only OpenSSH's warning. Returns ssh's
 * exit status (the remote command's, or 255).
 */
export async function runSshInteractive(
  target: SshTarget,
  command: readonly string[],
  io: InteractiveSshIo,
  options: SshRunOptions = {},
): Promise<number> {
  await ensureKnownHostsFile(target.knownHostsFile);
  const args = sshArguments(target, command, { connectTimeoutSeconds: options.connectTimeoutSeconds });
  let seen = "";
  const exitCode = await new Promise<number>((resolvePromise, reject) => {
    const child = spawn(options.ssh ?? "ssh", args, { stdio: ["inherit", "inherit", "pipe"] });
    child.stderr.on("data", (chunk: Buffer) => {
      io.stderr.write(chunk);
      // Only the start matters: the host key is checked before anything else happens.
      if (seen.length < 8192) seen += chunk.toString("utf8");
    });
    // The terminal's Ctrl-C reaches ssh itself; homelab just waits for it.
    const ignore = () => undefined;
    process.on("SIGINT", ignore);
    child.once("error", (error) => {
      process.off("SIGINT", ignore);
      reject(sshClientMissing(error));
    });
    child.once("close", (code) => {
      process.off("SIGINT", ignore);
      resolvePromise(code ?? 255);
    });
  });
  if (exitCode === 255 && isHostKeyMismatch(seen)) throw hostKeyMismatchError(target, options.nodeName);
  return exitCode;
}
