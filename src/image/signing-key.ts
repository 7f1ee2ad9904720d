import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { PublicKey } from "openpgp";
import { HomelabError } from "../errors/index.js";

const KEY_FILE = join("src", "image", "flatcar-signing-key.asc");

/**
 * Where the shipped Flatcar image-signing key is: `src/image/flatcar-signing-key.asc` in the
 * homelab package. Found by walking up from this module, which works from src/ (tests) and
 * from the dist/ bundle alike.
 */
export function shippedSigningKeyPath(from: string = fileURLToPath(import.meta.url)): string {
  let directory = dirname(from);
  for (;;) {
    const candidate = join(directory, KEY_FILE);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(directory);
    if (parent === directory) {
      throw new HomelabError(
        "image-unverifiable",
        `the Flatcar signing key ${KEY_FILE} is missing from homelab`,
        {
          fix: "Reinstall homelab (the key ships with it in src/image/).",
        },
      );
    }
    directory = parent;
  }
}

/** Reads the shipped key's armored text. */
export function readShippedSigningKey(): Promise<string> {
  return readFile(shippedSigningKeyPath(), "utf8");
}

/** Parses armored public keys; a broken key file is reported, not thrown as a bug. */
export async function parseSigningKeys(armored: string): Promise<PublicKey[]> {
  const openpgp = await import("openpgp");
  try {
    return await openpgp.readKeys({ armoredKeys: armored });
  } catch (error) {
    throw new HomelabError(
      "image-unverifiable",
      `the image-signing key cannot be read: ${(error as Error).message}`,
      {
        fix: "Restore src/image/flatcar-signing-key.asc from homelab's repository.",
      },
    );
  }
}

/** Uppercase hex primary-key fingerprints, for comparison with the lock file. */
export function primaryFingerprints(keys: readonly PublicKey[]): string[] {
  return keys.map((key) => key.getFingerprint().toUpperCase());
}

/** Refuses keys that are not the one the lock file names (a swapped key file must not pass). */
export function requireFingerprint(keys: readonly PublicKey[], expected: string | undefined): void {
  if (expected === undefined) return;
  const fingerprints = primaryFingerprints(keys);
  if (!fingerprints.includes(expected.toUpperCase())) {
    throw new HomelabError(
      "image-signature-invalid",
      `the image-signing key has fingerprint ${fingerprints.join(", ") || "(none)"}, but homelab.lock.json expects ${expected}`,
      {
        fix: "Restore src/image/flatcar-signing-key.asc, or if Flatcar rotated its primary key, update it and run `homelab lock <env> --update`.",
      },
    );
  }
}
