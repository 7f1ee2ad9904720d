import { readFile } from "node:fs/promises";

/**
 * A file's text, or undefined when it does not exist: state files that appear over an
 * environment's life (OpenTofu state, first-boot record, applied Ignition, init markers).
 * Any other failure (permissions, a directory in its place) is thrown, not taken for absence.
 */
export async function readIfPresent(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}
