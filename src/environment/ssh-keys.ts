import { readFile, stat } from "node:fs/promises";
import { isAbsolute, join, resolve } from "node:path";
import { SSH_KEY_TYPES } from "../ssh/key-types.js";
import { didYouMean } from "./suggest.js";

/**
 * SSH public keys of an environment: each entry of `ssh.authorizedKeys` is either a key line
 * (`ssh-ed25519 AAAA… me@laptop`) or a path to a `.pub` file. A key line must be one line: a
 * newline inside it would add a second, unreviewed line to core's authorized_keys.
 */

const KEY_LINE = new RegExp(
  `^(${SSH_KEY_TYPES.map((t) => t.replace(/[.@]/g, "\\$&")).join("|")}) [A-Za-z0-9+/]+={0,3}( [^\\r\\n]*)?$`,
);

/**
 * `word AAAA…`: the shape of a key line of any type. Every key blob starts with the 4-byte
 * length of its type name, which is under 2^24, so its base64 starts with "AAAA".
 */
const KEY_LIKE = /^[A-Za-z0-9@._+-]{1,64}\s+AAAA[A-Za-z0-9+/=]*/;

/**
 * What each key type's blob holds after its type name (RFC 4253 §6.6, RFC 5656 §3.1, RFC 8709
 * §4, OpenSSH PROTOCOL.u2f): a list of SSH strings; `null` means any bytes.
 */
const BLOB_LAYOUT: Readonly<Record<string, readonly (string | number | null)[]>> = {
  "ssh-ed25519": [32],
  "ssh-rsa": [null, null],
  "ecdsa-sha2-nistp256": ["nistp256", null],
  "ecdsa-sha2-nistp384": ["nistp384", null],
  "ecdsa-sha2-nistp521": ["nistp521", null],
  "sk-ssh-ed25519@openssh.com": [32, null],
  "sk-ecdsa-sha2-nistp256@openssh.com": ["nistp256", null, null],
};

/** The SSH strings (uint32 length + bytes) a blob is made of, or undefined if it is not one. */
function sshStrings(blob: Buffer): Buffer[] | undefined {
  const parts: Buffer[] = [];
  let offset = 0;
  while (offset < blob.length) {
    if (offset + 4 > blob.length || parts.length > 8) return undefined;
    const length = blob.readUInt32BE(offset);
    offset += 4;
    if (offset + length > blob.length) return undefined;
    parts.push(blob.subarray(offset, offset + length));
    offset += length;
  }
  return parts;
}

/** Why `text` is not one usable OpenSSH public key line, or undefined when it is one. */
export function publicKeyLineProblem(text: string): string | undefined {
  if (/[\r\n]/.test(text.trim())) return "not a valid SSH public key line (one key per entry, on one line)";
  const [type = "", data = ""] = text.trim().split(/\s+/);
  if (!SSH_KEY_TYPES.includes(type)) {
    const hint = didYouMean(type, SSH_KEY_TYPES);
    return `unknown SSH key type ${JSON.stringify(type.slice(0, 64))}${hint || ` (expected one of ${SSH_KEY_TYPES.join(", ")})`}`;
  }
  if (!KEY_LINE.test(text.trim())) return "not a valid SSH public key line (one key per entry, on one line)";
  const parts = sshStrings(Buffer.from(data, "base64"));
  const layout = BLOB_LAYOUT[type];
  const embedded = parts?.[0]?.toString("latin1") ?? "";
  // The blob names its own type first; a known one that differs is a pasting mistake.
  if (parts && embedded !== type && SSH_KEY_TYPES.includes(embedded)) {
    return `its data holds ${/^[aeiou]/.test(embedded) ? "an" : "a"} ${embedded} key, not ${type}`;
  }
  if (!parts || !layout || embedded !== type || parts.length !== layout.length + 1) {
    return `the base64 data after ${type} is not an SSH public key (truncated or mistyped?)`;
  }
  for (const [index, expected] of layout.entries()) {
    const part = parts[index + 1];
    if (!part || part.length === 0)
      return `the base64 data after ${type} is not an SSH public key (empty field)`;
    if (typeof expected === "number" && part.length !== expected)
      return `the base64 data after ${type} is not an SSH public key (a ${part.length}-byte key, expected ${expected})`;
    if (typeof expected === "string" && part.toString("latin1") !== expected)
      return `the base64 data after ${type} is not an SSH public key (curve ${JSON.stringify(part.toString("latin1").slice(0, 20))})`;
  }
  return undefined;
}

/**
 * Whether the text has the shape of a single OpenSSH public key line of a known type (one line,
 * type, base64). Loading an environment checks more (publicKeyLineProblem decodes the data);
 * this is the cheap guard for code that receives keys that were loaded already.
 */
export function isPublicKeyLine(text: string): boolean {
  return KEY_LINE.test(text);
}

/**
 * Whether an entry looks like it means to be a key (so a bad one is a key error, not a missing
 * file): a known type followed by a space, or any `type AAAA…` line (a mistyped type).
 */
export function looksLikeKeyLine(text: string): boolean {
  return SSH_KEY_TYPES.some((type) => text.startsWith(`${type} `)) || KEY_LIKE.test(text);
}

/** `~` and `~/…` expand to `home`; relative paths are taken from `baseDir`. */
export function expandPath(path: string, home: string, baseDir: string): string {
  if (path === "~") return home;
  if (path.startsWith("~/")) return join(home, path.slice(2));
  return isAbsolute(path) ? path : resolve(baseDir, path);
}

/** An authorized_keys-style file of a few hundred keys is far below this. */
const MAX_KEY_FILE_BYTES = 256 * 1024;

/**
 * Reads a regular file of at most `maxBytes`, or says why not (`ENOENT`, `not a regular file`,
 * `larger than 256 KiB`): a path such as /dev/zero must not hang the command, and an odd path
 * (a NUL byte, too long) is a reason, not a crash.
 */
export async function readSmallFile(path: string, maxBytes: number): Promise<string | { reason: string }> {
  try {
    const info = await stat(path);
    if (!info.isFile()) return { reason: "not a regular file" };
    if (info.size > maxBytes) return { reason: `larger than ${Math.round(maxBytes / 1024)} KiB` };
    const text = await readFile(path, "utf8");
    return text.length > maxBytes ? { reason: `larger than ${Math.round(maxBytes / 1024)} KiB` } : text;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { reason: typeof code === "string" ? code : "an unusable path" };
  }
}

export type KeyFileResult =
  | { readonly kind: "keys"; readonly keys: string[] }
  | { readonly kind: "missing"; readonly reason: string }
  | { readonly kind: "private-key" }
  | { readonly kind: "not-a-key"; readonly line: number; readonly reason?: string };

/** Reads a `.pub` (or authorized_keys-style) file: every non-empty, non-comment line must be a key. */
export async function readPublicKeyFile(path: string): Promise<KeyFileResult> {
  const read = await readSmallFile(path, MAX_KEY_FILE_BYTES);
  if (typeof read !== "string") return { kind: "missing", reason: read.reason };
  const text = read;
  if (text.includes("PRIVATE KEY-----")) return { kind: "private-key" };
  const keys: string[] = [];
  const lines = text.split(/\r?\n/);
  for (const [index, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    if (looksLikeKeyLine(line)) {
      const reason = publicKeyLineProblem(line);
      if (reason !== undefined) return { kind: "not-a-key", line: index + 1, reason };
    } else return { kind: "not-a-key", line: index + 1 };
    keys.push(line);
  }
  if (keys.length === 0) return { kind: "not-a-key", line: 1 };
  return { kind: "keys", keys };
}
