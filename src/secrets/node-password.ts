import { randomBytes } from "node:crypto";
import { HomelabError } from "../errors/index.js";
import { createSecretFileExclusive, readSecretFile } from "./files.js";

/**
 * A node's k3s node password: what its machine presents when it registers. k3s keeps a hash of
 * it per node name and refuses a machine of the same name that presents another one, so a
 * rebuilt node needs the password of the machine it replaces. homelab generates it once per
 * node name, keeps it in the state directory (0600) and writes it with Ignition to
 * `/etc/rancher/node/password`, which k3s reads instead of generating its own.
 *
 * Why this rather than deleting the old Node (and its password Secret) before each rebuild:
 * that needs the Kubernetes API to answer at the moment of the rebuild — exactly what a broken
 * cluster may not do — and a kubelet that re-registers the old machine in between undoes it.
 * A kept password makes a rebuilt machine acceptable whatever state the API is in.
 */

/** 16 bytes from the CSPRNG, hex (k3s's own passwords are 32 hex digits too). */
const PASSWORD_PATTERN = /^[0-9a-f]{32}$/;

export function generateNodePassword(): string {
  return randomBytes(16).toString("hex");
}

function parsePassword(path: string, node: string, text: string): string {
  const password = text.trim();
  if (!PASSWORD_PATTERN.test(password)) {
    throw new HomelabError("secret-invalid", `${path} does not hold the node password of ${node}`, {
      where: { file: path },
      fix:
        "The file was changed by hand or damaged. Restore it from a backup of the state directory, or delete it: " +
        `${node} then gets a new password and is rebuilt by the next \`homelab apply\` (which removes its old Node, ` +
        "and with it the old password's registration, first).",
    });
  }
  return password;
}

/**
 * The node's password from `path`, created once (exclusively, then read back, so concurrent
 * renders agree) when the file does not exist. A lost password is not fatal: the node's Ignition
 * changes, and the roll that rebuilds it deletes its old Node — and so its registration — first.
 */
export async function ensureNodePassword(path: string, node: string): Promise<string> {
  const existing = await readSecretFile(path);
  if (existing !== undefined) return parsePassword(path, node, existing);
  await createSecretFileExclusive(path, `${generateNodePassword()}\n`);
  const stored = await readSecretFile(path);
  if (stored === undefined) {
    throw new HomelabError("state-dir-unwritable", `${path} vanished right after it was created`, {
      where: { file: path },
      fix: "Something else is deleting files in homelab's state directory; stop it and run the command again.",
    });
  }
  return parsePassword(path, node, stored);
}
