import type { Readable, Writable } from "node:stream";
import { runSshStream, type SshStreamResult, type SshTarget } from "../ssh/index.js";

/** One server as the snapshot code reaches it. */
export interface SnapshotNode {
  /** Node name, e.g. `k3s-prod-server-1`. */
  readonly node: string;
  readonly target: SshTarget;
}

export interface RemoteOptions {
  /** The ssh program (default `ssh` from PATH). */
  readonly ssh?: string;
}

export interface RunOnNodeOptions extends RemoteOptions {
  readonly timeoutMs?: number;
  readonly connectTimeoutSeconds?: number;
  readonly input?: Readable;
  readonly output?: Writable;
}

/** Runs one argument vector on a node (quoted for its shell by `runSshStream`). */
export function runOnNode(
  server: SnapshotNode,
  argv: readonly string[],
  options: RunOnNodeOptions = {},
): Promise<SshStreamResult> {
  return runSshStream(server.target, argv, { ...options, nodeName: server.node });
}

/** The last meaningful line a command printed on stderr, for one-line messages. */
export function lastStderrLine(stderr: string): string {
  const lines = stderr
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("Warning: Permanently added"));
  const last = lines[lines.length - 1] ?? "";
  return last.length > 300 ? `${last.slice(0, 297)}…` : last;
}

/** Why a remote command failed, in a few words: ssh's own failure, a timeout, or the exit status. */
export function describeRemoteFailure(result: SshStreamResult): string {
  const said = lastStderrLine(result.stderr);
  if (result.timedOut) return `it did not finish in time${said ? ` (last message: ${said})` : ""}`;
  if (result.exitCode === 255) return `ssh failed or the connection dropped${said ? `: ${said}` : ""}`;
  return `it exited with status ${result.exitCode}${said ? `: ${said}` : ""}`;
}

/** How a user runs a command on a node by hand. */
export function byHand(node: string, command: string): string {
  return `\`homelab ssh ${node} -- ${command}\``;
}
