import { spawnSync } from "node:child_process";
import { toolPath } from "../support/real-tools.js";

/** Runs ssh-keygen (Debian package openssh-client); tests using it declare "ssh-keygen" (support/real-tools.ts). */
export function sshKeygen(args: readonly string[]): {
  status: number | null;
  stdout: string;
  stderr: string;
} {
  const run = spawnSync(toolPath("ssh-keygen"), args, { encoding: "utf8" });
  return { status: run.status, stdout: run.stdout ?? "", stderr: run.stderr ?? "" };
}
