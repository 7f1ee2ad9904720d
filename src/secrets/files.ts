import { randomBytes } from "node:crypto";
import { chmod, mkdir, open, readFile, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { HomelabError } from "../errors/index.js";

/** Mode bits that would let anyone but the owner read or change a secret. */
const GROUP_OR_WORLD = 0o077;

/**
 * Writes a secret so that no reader ever sees it half-written or readable by others: the
 * parent directory is created 0700, the bytes go to a temporary 0600 file in the same
 * directory (created exclusively), are flushed to disk, then renamed over the target.
 */
export async function writeSecretFileAtomic(path: string, contents: string | Uint8Array): Promise<void> {
  const directory = dirname(path);
  try {
    await mkdir(directory, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new HomelabError("state-dir-unwritable", `cannot create ${directory}`, {
      cause: error,
      where: { file: directory },
      fix: `Make sure you own ${directory} (or set HOMELAB_STATE_DIR to a directory you own).`,
    });
  }
  const temporary = join(directory, `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
  try {
    const handle = await open(temporary, "wx", 0o600);
    try {
      await handle.writeFile(contents);
      await handle.sync();
    } finally {
      await handle.close();
    }
    // The umask cannot widen 0600, but an inherited ACL-less chmod keeps this explicit.
    await chmod(temporary, 0o600);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw new HomelabError("state-dir-unwritable", `cannot write ${path}`, {
      cause: error,
      where: { file: path },
      fix: `Make sure you own ${directory} and the disk is not full.`,
    });
  }
}

/**
 * Refuses a secret file (or directory) that its group or other users can access. homelab never
 * loosens or silently repairs permissions: a secret that was readable may have been read, and
 * the user should decide whether to rotate it.
 */
export async function assertSecretPermissions(path: string): Promise<void> {
  const info = await stat(path);
  const loose = info.mode & GROUP_OR_WORLD;
  if (loose === 0) return;
  const mode = (info.mode & 0o777).toString(8).padStart(4, "0");
  const wanted = info.isDirectory() ? "0700" : "0600";
  throw new HomelabError("secret-unsafe-permissions", `${path} has mode ${mode}: other users can access it`, {
    where: { file: path },
    fix:
      `Run \`chmod ${wanted.slice(1)} ${path}\`. If other people use this machine, consider the secret ` +
      "exposed and rebuild the environment to rotate it (`homelab destroy`, delete the file, `homelab up`).",
  });
}

/** Reads a secret after checking its permissions; undefined when it does not exist yet. */
export async function readSecretFile(path: string): Promise<string | undefined> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new HomelabError("state-dir-unwritable", `cannot read ${path}`, {
      cause: error,
      where: { file: path },
      fix: `Make sure you own ${path}.`,
    });
  }
  await assertSecretPermissions(path);
  return text;
}
