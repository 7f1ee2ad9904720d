import { execFile } from "node:child_process";
import { mkdir, open, rm } from "node:fs/promises";
import { dirname } from "node:path";
import { HomelabError } from "../errors/index.js";

/**
 * The per-environment known_hosts file, maintained with OpenSSH's own `ssh-keygen` (`-F` to
 * look a host up, `-R` to forget it), so hashed entries and `[host]:port` forms are handled
 * exactly as ssh reads them.
 */

interface KeygenResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

function sshKeygen(args: readonly string[], program: string): Promise<KeygenResult> {
  return new Promise((resolvePromise, reject) => {
    execFile(program, [...args], { encoding: "utf8" }, (error, stdout, stderr) => {
      if (error && typeof error.code !== "number") {
        reject(
          new HomelabError("ssh-client-missing", `cannot run ${program}: ${error.message}`, {
            cause: error,
            fix: "Install the OpenSSH client: Arch `sudo pacman -S openssh`, Debian/Ubuntu `sudo apt install openssh-client`, Fedora `sudo dnf install openssh-clients`.",
          }),
        );
        return;
      }
      resolvePromise({ exitCode: error ? Number(error.code) : 0, stdout, stderr });
    });
  });
}

export interface KnownHostsOptions {
  /** The ssh-keygen to run (default: `ssh-keygen` from PATH). */
  readonly sshKeygen?: string;
}

/** Creates the file (0600, directory 0700) if it does not exist, so ssh can record keys in it. */
export async function ensureKnownHostsFile(file: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const handle = await open(file, "a", 0o600);
  await handle.close();
}

/** The known_hosts lines recorded for `host` (a name as in known_hosts: `h` or `[h]:port`). */
export async function recordedHostKeys(
  file: string,
  host: string,
  options: KnownHostsOptions = {},
): Promise<string[]> {
  const result = await sshKeygen(["-F", host, "-f", file], options.sshKeygen ?? "ssh-keygen");
  if (result.exitCode !== 0) return [];
  return result.stdout.split("\n").filter((line) => line !== "" && !line.startsWith("#"));
}

/**
 * Forgets every key recorded for the given hosts (a replaced node has a new host key). A
 * missing file means nothing to forget. ssh-keygen's `<file>.old` copy is removed: it would
 * keep the stale key around for no one.
 */
export async function forgetHostKeys(
  file: string,
  hosts: readonly string[],
  options: KnownHostsOptions = {},
): Promise<number> {
  let removed = 0;
  for (const host of hosts) {
    if ((await recordedHostKeys(file, host, options)).length === 0) continue;
    const result = await sshKeygen(["-R", host, "-f", file], options.sshKeygen ?? "ssh-keygen");
    if (result.exitCode !== 0) {
      throw new HomelabError(
        "state-dir-unwritable",
        `ssh-keygen could not remove ${host} from ${file}: ${result.stderr.trim()}`,
        {
          where: { file },
          fix: `Make sure you own ${file}, or remove the host by hand: ssh-keygen -R ${host} -f ${file}`,
        },
      );
    }
    removed++;
  }
  await rm(`${file}.old`, { force: true });
  return removed;
}
