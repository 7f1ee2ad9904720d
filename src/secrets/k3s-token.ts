import { randomBytes } from "node:crypto";
import { HomelabError } from "../errors/index.js";
import { createSecretFileExclusive, readSecretFile } from "./files.js";

/** 32 bytes from the CSPRNG, hex: 256 bits, and only characters that need no quoting anywhere. */
const TOKEN_PATTERN = /^[0-9a-f]{64}$/;

/** A new k3s cluster token. */
export function generateK3sToken(): string {
  return randomBytes(32).toString("hex");
}

/**
 * Called before a missing secret is created: throws to refuse (render does, for an
 * environment whose OpenTofu state records resources — its nodes carry the old secret).
 * `what` names the secret for messages, e.g. "k3s token".
 */
export type OnMissingSecret = (path: string, what: string) => void | Promise<void>;

export interface EnsureSecretOptions {
  readonly onMissing?: OnMissingSecret;
}

function parseToken(path: string, text: string): string {
  const token = text.trim();
  if (!TOKEN_PATTERN.test(token)) {
    throw new HomelabError("secret-invalid", `${path} does not hold a homelab k3s token`, {
      where: { file: path },
      fix:
        "The file was changed by hand or damaged. Restore it from a backup of the state directory, or delete " +
        "it and rebuild the environment (`homelab destroy`, then `homelab up`): every node gets the new token.",
    });
  }
  return token;
}

/**
 * The environment's k3s token: read from `path` (see `stateLayout(dir).k3sToken`) when it
 * exists, otherwise generated once and stored 0600. Reusing it keeps a re-render identical and
 * lets new nodes join the existing cluster. Creation is exclusive and the stored file is read
 * back, so concurrent first renders all use the one token that was stored. The token is
 * returned, never logged.
 */
export async function ensureK3sToken(path: string, options: EnsureSecretOptions = {}): Promise<string> {
  const existing = await readSecretFile(path);
  if (existing !== undefined) return parseToken(path, existing);
  await options.onMissing?.(path, "k3s token");
  await createSecretFileExclusive(path, `${generateK3sToken()}\n`);
  const stored = await readSecretFile(path);
  if (stored === undefined) {
    throw new HomelabError("state-dir-unwritable", `${path} vanished right after it was created`, {
      where: { file: path },
      fix: "Something else is deleting files in homelab's state directory; stop it and run the command again.",
    });
  }
  return parseToken(path, stored);
}
