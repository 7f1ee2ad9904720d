import { randomBytes } from "node:crypto";
import { HomelabError } from "../errors/index.js";
import { readSecretFile, writeSecretFileAtomic } from "./files.js";

/** 32 bytes from the CSPRNG, hex: 256 bits, and only characters that need no quoting anywhere. */
const TOKEN_PATTERN = /^[0-9a-f]{64}$/;

/** A new k3s cluster token. */
export function generateK3sToken(): string {
  return randomBytes(32).toString("hex");
}

/**
 * The environment's k3s token: read from `path` (see `stateLayout(dir).k3sToken`) when it
 * exists, otherwise generated once and stored 0600. Reusing it keeps a re-render identical and
 * lets new nodes join the existing cluster. The token is returned, never logged.
 */
export async function ensureK3sToken(path: string): Promise<string> {
  const existing = await readSecretFile(path);
  if (existing !== undefined) {
    const token = existing.trim();
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
  const token = generateK3sToken();
  await writeSecretFileAtomic(path, `${token}\n`);
  return token;
}
