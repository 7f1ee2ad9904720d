import { randomBytes } from "node:crypto";
import { chmod, copyFile, lstat, mkdir, open, readdir, readFile, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { HomelabError } from "../errors/index.js";

/**
 * The render directory (`.homelab/<env>` or `--out DIR`) is replaced as a whole: files are
 * written into a fresh sibling directory, then swapped in with rename(2). A failure before the
 * swap leaves DIR exactly as it was. render deletes only what it made itself: a directory that
 * is neither empty nor a previous render is refused, and so is one that holds OpenTofu state.
 */

/** Marks a directory as written by `homelab render`; the only directories render replaces. */
export const RENDER_MARKER = ".homelab-render";

/** What OpenTofu leaves in a working directory and a new render keeps. */
const CARRIED_OVER = [".terraform.lock.hcl", ".terraform"] as const;

const STATE_FILE = /\.tfstate(\.backup)?$|^terraform\.tfstate\.d$/;

export interface RenderedFile {
  /** Relative to the render directory, `/`-separated. */
  readonly path: string;
  readonly contents: string;
  /** 0o600 for anything holding a secret (Ignition, Butane), 0o644 otherwise. */
  readonly mode: number;
}

export type OutputDirState = "absent" | "empty" | "previous-render";

interface Marker {
  readonly generator: string;
  readonly environment: string;
}

export function markerFile(environmentName: string): RenderedFile {
  const marker: Marker = { generator: "homelab render", environment: environmentName };
  return { path: RENDER_MARKER, contents: `${JSON.stringify(marker)}\n`, mode: 0o644 };
}

function refused(dir: string, message: string, fix: string): HomelabError {
  return new HomelabError("render-out-refused", message, { where: { file: dir }, fix });
}

function writeFailed(dir: string, action: string, error: unknown): HomelabError {
  const reason =
    (error as NodeJS.ErrnoException).code ?? (error instanceof Error ? error.message : String(error));
  return new HomelabError("render-write-failed", `cannot ${action} (${reason})`, {
    cause: error,
    where: { file: dir },
    fix: `Make sure you own ${dirname(dir)} and the disk is not full, then render again. Nothing in ${dir} was changed.`,
  });
}

async function readMarker(dir: string): Promise<Marker | undefined> {
  try {
    const value = JSON.parse(await readFile(join(dir, RENDER_MARKER), "utf8")) as Partial<Marker>;
    if (value.generator === "homelab render" && typeof value.environment === "string") {
      return { generator: value.generator, environment: value.environment };
    }
  } catch {
    // No marker, or not ours: treated as "not a render directory" below.
  }
  return undefined;
}

/**
 * Decides whether render may replace `dir`, without changing anything. Throws
 * `render-out-refused` for anything render did not make (the repository root, a home
 * directory, a file, a symbolic link) and for a previous render that holds OpenTofu state.
 */
export async function inspectOutputDir(dir: string, environmentName: string): Promise<OutputDirState> {
  let info: Awaited<ReturnType<typeof lstat>>;
  try {
    info = await lstat(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return "absent";
    throw writeFailed(dir, `inspect ${dir}`, error);
  }
  if (info.isSymbolicLink()) {
    throw refused(
      dir,
      `${dir} is a symbolic link; render replaces its output directory and will not follow links`,
      "Pass the real directory with --out, or a new one.",
    );
  }
  if (!info.isDirectory()) {
    throw refused(dir, `${dir} exists and is not a directory`, "Pass a new or empty directory with --out.");
  }
  const entries = await readdir(dir);
  if (entries.length === 0) return "empty";
  const marker = await readMarker(dir);
  if (!marker) {
    throw refused(
      dir,
      `${dir} is not empty and was not written by \`homelab render\`; render replaces its output directory as a whole and will not delete it`,
      "Pass a new or empty directory with --out (the default is .homelab/<env>), or move the contents away yourself.",
    );
  }
  if (marker.environment !== environmentName) {
    throw refused(
      dir,
      `${dir} holds the render of environment "${marker.environment}", not "${environmentName}"`,
      `Render each environment into its own directory (the default .homelab/${environmentName} does), or delete ${dir} first.`,
    );
  }
  const state = entries.filter((entry) => STATE_FILE.test(entry));
  if (state.length > 0) {
    throw refused(
      dir,
      `${dir} holds OpenTofu state (${state.join(", ")}); render never deletes state`,
      "Move the state to the environment's state directory (<state>/<env>/tofu/terraform.tfstate, where the " +
        "rendered backend points), then render again.",
    );
  }
  return "previous-render";
}

async function writeFileWithMode(path: string, contents: string, mode: number): Promise<void> {
  const handle = await open(path, "wx", mode);
  try {
    await handle.writeFile(contents);
  } finally {
    await handle.close();
  }
  // The umask may have narrowed the mode; make it exactly what was asked.
  await chmod(path, mode);
}

async function writeTree(root: string, files: readonly RenderedFile[]): Promise<void> {
  const directories = new Set<string>();
  for (const file of files) {
    const parent = dirname(file.path);
    if (parent !== ".") directories.add(parent);
  }
  for (const directory of [...directories].sort()) {
    await mkdir(join(root, directory), { recursive: true, mode: 0o700 });
    await chmod(join(root, directory), 0o700);
  }
  for (const file of files) await writeFileWithMode(join(root, file.path), file.contents, file.mode);
}

/** Keeps OpenTofu's lock file and (when someone ran tofu here) its data directory. */
async function carryOver(from: string, to: string): Promise<void> {
  for (const name of CARRIED_OVER) {
    const source = join(from, name);
    try {
      const info = await lstat(source);
      if (info.isDirectory()) await rename(source, join(to, name));
      else if (info.isFile()) await copyFile(source, join(to, name));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
  }
}

/**
 * Writes `files` as the new contents of `dir` (created 0700, parents too), atomically as far
 * as the file system allows: either the previous contents or the new ones, never a mixture.
 * The caller has validated everything; `inspectOutputDir` must have accepted `dir`. Returns
 * warnings (nothing that makes the render itself incomplete).
 */
export async function replaceOutputDir(
  dir: string,
  state: OutputDirState,
  files: readonly RenderedFile[],
): Promise<readonly string[]> {
  const parent = dirname(dir);
  const suffix = randomBytes(6).toString("hex");
  const staging = join(parent, `.${basename(dir)}.render-${suffix}`);
  const previous = join(parent, `.${basename(dir)}.previous-${suffix}`);
  try {
    await mkdir(parent, { recursive: true, mode: 0o700 });
    await mkdir(staging, { mode: 0o700 });
    await chmod(staging, 0o700);
    await writeTree(staging, files);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw writeFailed(dir, `write the rendered files next to ${dir}`, error);
  }
  try {
    // Renaming onto an empty directory replaces it; a previous render is moved aside first.
    if (state === "previous-render") await rename(dir, previous);
    try {
      await rename(staging, dir);
    } catch (error) {
      if (state === "previous-render") await rename(previous, dir);
      throw error;
    }
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw writeFailed(dir, `move the rendered files into ${dir}`, error);
  }
  if (state !== "previous-render") return [];
  try {
    await carryOver(previous, dir);
  } catch (error) {
    // The new render is in place; only OpenTofu's cache could not be moved. Keep it for the user.
    const reason = (error as NodeJS.ErrnoException).code ?? String(error);
    return [
      `could not carry .terraform.lock.hcl/.terraform over (${reason}); the previous render is kept in ${previous}`,
    ];
  }
  await rm(previous, { recursive: true, force: true });
  return [];
}
