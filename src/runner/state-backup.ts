import { chmod, constants, copyFile, mkdir } from "node:fs/promises";
import { join } from "node:path";

/** `20250131T142501.123Z`: sortable, unique per millisecond, safe in file names. */
export function backupTimestamp(at: Date): string {
  return at.toISOString().replace(/[-:]/g, "");
}

/**
 * Copies the state file to `<backupsDir>/terraform.tfstate.<timestamp>` (0600, directory 0700)
 * before an apply. Returns the backup's path, or undefined when there is no state yet.
 * The state holds secrets (the k3s token is in the Ignition content), hence the modes.
 */
export async function backupState(
  stateFile: string,
  backupsDir: string,
  at: Date,
): Promise<string | undefined> {
  await mkdir(backupsDir, { recursive: true, mode: 0o700 });
  const target = join(backupsDir, `terraform.tfstate.${backupTimestamp(at)}`);
  try {
    await copyFile(stateFile, target, constants.COPYFILE_EXCL);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  await chmod(target, 0o600);
  return target;
}
