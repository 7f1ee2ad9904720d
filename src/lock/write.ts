import { randomBytes } from "node:crypto";
import { rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { HomelabError } from "../errors/index.js";
import { LOCK_FILE_NAME, type LockFile, LockFileSchema } from "./schema.js";

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, entry]) => entry !== undefined)
      .sort(([a], [b]) => (a === "$schema" ? -1 : b === "$schema" ? 1 : a < b ? -1 : a > b ? 1 : 0));
    return Object.fromEntries(entries.map(([key, entry]) => [key, sortKeys(entry)]));
  }
  return value;
}

/** The file's text: keys sorted (so diffs stay small and stable), 2-space JSON, final newline. */
export function serializeLock(lock: LockFile): string {
  return `${JSON.stringify(sortKeys(LockFileSchema.parse(lock)), null, 2)}\n`;
}

/** Writes `homelab.lock.json` atomically: a temporary file in the same directory, then rename. */
export async function writeLock(cwd: string, lock: LockFile): Promise<string> {
  const path = join(cwd, LOCK_FILE_NAME);
  const temporary = `${path}.${randomBytes(4).toString("hex")}.tmp`;
  try {
    await writeFile(temporary, serializeLock(lock), { mode: 0o644 });
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw new HomelabError(
      "lock-update-failed",
      `${LOCK_FILE_NAME} cannot be written: ${(error as Error).message}`,
      {
        where: { file: LOCK_FILE_NAME },
        fix: `Make sure ${cwd} is writable.`,
      },
    );
  }
  return path;
}
