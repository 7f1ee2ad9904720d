/**
 * How homelab runs OpenSSH: as `core`, with its own key and a per-environment known_hosts
 * file, trusting a node's host key the first time it is seen and refusing a changed one
 * (StrictHostKeyChecking=accept-new). Host-key checking is never turned off; a node that is
 * rebuilt by `homelab replace` has its old key removed from that file first.
 */
export interface SshTarget {
  /** IPv4 address (or name) of the node. */
  readonly host: string;
  /** Default 22. */
  readonly port?: number;
  /** Default `core`, Flatcar's user. */
  readonly user?: string;
  /** homelab's private key for the environment (`stateLayout(dir).sshPrivateKey`). */
  readonly identityFile: string;
  /** The environment's known_hosts (`stateLayout(dir).knownHosts`). */
  readonly knownHostsFile: string;
}

export interface SshOptionSettings {
  /** No prompts (passwords, passphrases): for commands homelab runs itself. */
  readonly batch?: boolean;
  /** Seconds to wait for the TCP connection (default 10). */
  readonly connectTimeoutSeconds?: number;
}

/** How a host appears in known_hosts: `host`, or `[host]:port` off port 22. */
export function knownHostsName(host: string, port = 22): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** The `-o`/`-i` options of every ssh homelab runs. */
export function sshOptions(target: SshTarget, settings: SshOptionSettings = {}): string[] {
  const options = [
    "-i",
    target.identityFile,
    "-o",
    "IdentitiesOnly=yes",
    "-o",
    `UserKnownHostsFile=${target.knownHostsFile}`,
    // Only homelab's file: a stale entry in /etc/ssh/ssh_known_hosts must not decide.
    "-o",
    "GlobalKnownHostsFile=/dev/null",
    "-o",
    "StrictHostKeyChecking=accept-new",
    "-o",
    `ConnectTimeout=${settings.connectTimeoutSeconds ?? 10}`,
    "-o",
    "ServerAliveInterval=15",
  ];
  if (target.port !== undefined && target.port !== 22) options.push("-p", String(target.port));
  if (settings.batch) options.push("-o", "BatchMode=yes");
  return options;
}

/**
 * Full `ssh` arguments for a login (no command) or a remote command. The command words are
 * passed as ssh passes them: joined by spaces and run by the node's shell.
 */
export function sshArguments(
  target: SshTarget,
  command: readonly string[] = [],
  settings: SshOptionSettings = {},
): string[] {
  return [...sshOptions(target, settings), "--", `${target.user ?? "core"}@${target.host}`, ...command];
}
