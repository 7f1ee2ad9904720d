import { HomelabError } from "../errors/index.js";
import type { SshTarget } from "./ssh-options.js";

/** What OpenSSH prints when a host key differs from the recorded one. */
const CHANGED =
  /REMOTE HOST IDENTIFICATION HAS CHANGED|Host key for .* has changed|Host key verification failed/;

/** Whether ssh's stderr says the host key did not match known_hosts. */
export function isHostKeyMismatch(stderr: string): boolean {
  return CHANGED.test(stderr);
}

/** The `ssh-host-key-mismatch` error for a node, with both ways out. */
export function hostKeyMismatchError(target: SshTarget, nodeName: string | undefined): HomelabError {
  const who = nodeName ? `${nodeName} (${target.host})` : target.host;
  return new HomelabError(
    "ssh-host-key-mismatch",
    `the SSH host key of ${who} is not the one homelab recorded`,
    {
      where: { file: target.knownHostsFile },
      fix:
        "If the node was rebuilt outside homelab (e.g. `tofu apply -replace` by hand or a new VM with the same address), " +
        `forget its old key: \`ssh-keygen -R ${target.host} -f ${target.knownHostsFile}\`, or rebuild it with \`homelab replace ${nodeName ?? "NODE"}\`, which does that for you. ` +
        "If nothing was rebuilt, something else answers at that address: do not connect until you know what.",
    },
  );
}
