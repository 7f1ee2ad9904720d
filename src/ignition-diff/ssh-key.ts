import { createHash } from "node:crypto";
import { SSH_KEY_TYPES } from "../ssh/key-types.js";

/**
 * An authorized_keys line as a person recognises it: type, the `SHA256:` fingerprint that
 * `ssh-keygen -l` prints (base64 of the SHA-256 of the key blob, without padding) and the
 * comment. Options before the type (`from="…",no-pty`) are kept in front. A line that is not a
 * key is shortened instead.
 */
export function sshKeyLabel(line: string): string {
  const fields = line.trim().split(/\s+/);
  const typeIndex = fields.findIndex((field) => (SSH_KEY_TYPES as readonly string[]).includes(field));
  const blob = typeIndex < 0 ? undefined : fields[typeIndex + 1];
  if (blob === undefined || !/^[A-Za-z0-9+/]+={0,3}$/.test(blob)) {
    return line.length > 48 ? `${line.slice(0, 47)}…` : line;
  }
  const fingerprint = createHash("sha256")
    .update(Buffer.from(blob, "base64"))
    .digest("base64")
    .replace(/=+$/, "");
  const options = fields.slice(0, typeIndex);
  const comment = fields.slice(typeIndex + 2);
  return [...options, fields[typeIndex], `SHA256:${fingerprint}`, ...comment].join(" ");
}
