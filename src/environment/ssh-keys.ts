import { readFile } from "node:fs/promises";
import { isAbsolute, join, resolve } from "node:path";
import { SSH_KEY_TYPES } from "../ssh/key-types.js";

/**
 * SSH public keys of an environment: each entry of `ssh.authorizedKeys` is either a key line
 * (`ssh-ed25519 AAAA… me@laptop`) or a path to a `.pub` file. A key line must be one line: a
 * newline inside it would add a second, unreviewed line to core's authorized_keys.
 */

const KEY_LINE = new RegExp(
  `^(${SSH_KEY_TYPES.map((t) => t.replace(/[.@]/g, "\\$&")).join("|")}) [A-Za-z0-9+/]+={0,3}( [^\\r\\n]*)?$`,
);

/** Whether the text is a single OpenSSH public key line of a known type. */
export function isPublicKeyLine(text: string): boolean {
  return KEY_LINE.test(text);
}

/** Whether an entry looks like it means to be a key (so a bad one is a key error, not a missing file). */
export function looksLikeKeyLine(text: string): boolean {
  return SSH_KEY_TYPES.some((type) => text.startsWith(`${type} `));
}

/** `~` and `~/…` expand to `home`; relative paths are taken from `baseDir`. */
export function expandPath(path: string, home: string, baseDir: string): string {
  if (path === "~") return home;
  if (path.startsWith("~/")) return join(home, path.slice(2));
  return isAbsolute(path) ? path : resolve(baseDir, path);
}

export type KeyFileResult =
  | { readonly kind: "keys"; readonly keys: string[] }
  | { readonly kind: "missing" }
  | { readonly kind: "private-key" }
  | { readonly kind: "not-a-key"; readonly line: number };

/** Reads a `.pub` (or authorized_keys-style) file: every non-empty, non-comment line must be a key. */
export async function readPublicKeyFile(path: string): Promise<KeyFileResult> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR" || code === "EISDIR" || code === "EACCES")
      return { kind: "missing" };
    throw error;
  }
  if (text.includes("PRIVATE KEY-----")) return { kind: "private-key" };
  const keys: string[] = [];
  const lines = text.split(/\r?\n/);
  for (const [index, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    if (!isPublicKeyLine(line)) return { kind: "not-a-key", line: index + 1 };
    keys.push(line);
  }
  if (keys.length === 0) return { kind: "not-a-key", line: 1 };
  return { kind: "keys", keys };
}
