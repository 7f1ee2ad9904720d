import { randomBytes } from "node:crypto";
import { chmod, link, lstat, mkdir, open, readFile, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { HomelabError } from "../errors/index.js";

/** Mode bits that would let anyone but the owner read or change a secret. */
const GROUP_OR_WORLD = 0o077;
/**
 * Directory bits that would let others add, remove or rename entries. Read and search bits
 * are not refused: listing names reveals no secret (the files themselves are 0600), and a
 * directory made by hand with the usual umask (0755) is not a leak.
 */
const GROUP_OR_WORLD_WRITABLE = 0o022;

/**
 * Writes a secret so that no reader ever sees it half-written or readable by others: the
 * parent directory is created 0700, the bytes go to a temporary 0600 file in the same
 * directory (created exclusively), are flushed to disk, then renamed over the target.
 * `mode` (default 0600) may change the owner's bits only.
 */
/** Creates the directory (0700) when missing; `check`: refuse one others can get into. */
async function ensureSecretDirectory(directory: string, check: boolean): Promise<void> {
  try {
    await mkdir(directory, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new HomelabError("state-dir-unwritable", `cannot create ${directory}`, {
      cause: error,
      where: { file: directory },
      fix: `Make sure you own ${directory} (or set HOMELAB_STATE_DIR to a directory you own).`,
    });
  }
  if (check) await assertSecretDirectory(directory);
}

/** A complete 0600 temporary file beside `path`, flushed to disk; the caller moves it into place. */
async function writeTemporary(path: string, contents: string | Uint8Array): Promise<string> {
  const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
  const handle = await open(temporary, "wx", 0o600);
  try {
    await handle.writeFile(contents);
    await handle.sync();
  } finally {
    await handle.close();
  }
  // The umask cannot widen 0600, but an inherited ACL-less chmod keeps this explicit.
  await chmod(temporary, 0o600);
  return temporary;
}

function unwritable(path: string, error: unknown): HomelabError {
  return new HomelabError("state-dir-unwritable", `cannot write ${path}`, {
    cause: error,
    where: { file: path },
    fix: `Make sure you own ${dirname(path)} and the disk is not full.`,
  });
}

export async function writeSecretFileAtomic(
  path: string,
  contents: string | Uint8Array,
  mode = 0o600,
): Promise<void> {
  // Not checked here: also writes kubeconfigs into ~/.kube, which kubectl itself makes 0750.
  await ensureSecretDirectory(dirname(path), false);
  let temporary: string | undefined;
  try {
    temporary = await writeTemporary(path, contents);
    // The owner's bits may differ (a kept mode); group and others never get access.
    if ((mode & 0o777) !== 0o600) await chmod(temporary, mode & 0o700);
    await rename(temporary, path);
  } catch (error) {
    if (temporary) await rm(temporary, { force: true });
    throw unwritable(path, error);
  }
}

/**
 * Creates a secret only if it does not exist yet: the bytes go to a complete temporary file,
 * which is then hard-linked to `path` — link() fails with EEXIST instead of replacing, so of
 * several processes creating the same secret at once exactly one succeeds, and nobody ever
 * sees a half-written file. Returns whether this call created it; either way the caller must
 * read the file back and use what is stored.
 */
export async function createSecretFileExclusive(
  path: string,
  contents: string | Uint8Array,
): Promise<boolean> {
  await ensureSecretDirectory(dirname(path), true);
  let temporary: string | undefined;
  try {
    temporary = await writeTemporary(path, contents);
    await link(temporary, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw unwritable(path, error);
  } finally {
    if (temporary) await rm(temporary, { force: true });
  }
}

/**
 * Refuses a directory that holds secrets when someone else could change what is in it: not a
 * directory (a symbolic link could point anywhere), not owned by this user, or group- or
 * world-writable — another user could replace a key file, and with it the public key the nodes
 * trust. homelab creates these directories 0700 itself. Absent: nothing to check.
 */
export async function assertSecretDirectory(directory: string): Promise<void> {
  let info: Awaited<ReturnType<typeof lstat>>;
  try {
    info = await lstat(directory);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw new HomelabError("state-dir-unwritable", `cannot read ${directory}`, {
      cause: error,
      where: { file: directory },
      fix: `Make sure you own ${directory}.`,
    });
  }
  if (!info.isDirectory()) {
    throw new HomelabError(
      "secret-unsafe-permissions",
      `${directory} holds homelab's secrets but is ${info.isSymbolicLink() ? "a symbolic link" : "not a directory"}`,
      {
        where: { file: directory },
        fix: `Make ${directory} a directory of your own (mode 0700), or point HOMELAB_STATE_DIR at one.`,
      },
    );
  }
  const uid = process.getuid?.();
  if (uid !== undefined && info.uid !== uid) {
    throw new HomelabError(
      "secret-unsafe-permissions",
      `${directory} holds homelab's secrets but belongs to uid ${info.uid}, not to you (uid ${uid})`,
      {
        where: { file: directory },
        fix:
          `Whoever owns it can read and replace the secrets in it. Run \`sudo chown -R ${uid} ${directory}\` if it is yours, ` +
          "otherwise set HOMELAB_STATE_DIR to a directory you own. Consider the secrets exposed (see the page).",
      },
    );
  }
  if ((info.mode & GROUP_OR_WORLD_WRITABLE) !== 0) {
    const mode = (info.mode & 0o777).toString(8).padStart(4, "0");
    throw new HomelabError(
      "secret-unsafe-permissions",
      `${directory} has mode ${mode}: other users can replace the secrets in it`,
      {
        where: { file: directory },
        fix:
          `Run \`chmod 700 ${directory}\`. Another user could have replaced a key or the token: if other people use ` +
          "this machine, rebuild the environment to rotate them (see the page).",
      },
    );
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

/**
 * Reads a secret after checking its permissions and its directory's; undefined when it does
 * not exist yet.
 */
export async function readSecretFile(path: string): Promise<string | undefined> {
  await assertSecretDirectory(dirname(path));
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
