import { spawnSync } from "node:child_process";

/** Runs ssh-keygen (Debian package openssh-client); fails the test, never skips, when it is missing. */
export function sshKeygen(args: readonly string[]): {
  status: number | null;
  stdout: string;
  stderr: string;
} {
  const run = spawnSync("ssh-keygen", args, { encoding: "utf8" });
  if (run.error && (run.error as NodeJS.ErrnoException).code === "ENOENT") {
    throw new Error(
      "ssh-keygen is missing: install the Debian package `openssh-client` (apt-get install -y openssh-client)",
    );
  }
  return { status: run.status, stdout: run.stdout ?? "", stderr: run.stderr ?? "" };
}
