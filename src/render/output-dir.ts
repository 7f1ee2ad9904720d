import { randomBytes } from "node:crypto";
import {
  chmod,
  copyFile,
  lstat,
  mkdir,
  open,
  readdir,
  readFile,
  readlink,
  rename,
  rm,
  rmdir,
  symlink,
  unlink,
} from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { HomelabError } from "../errors/index.js";

/**
 * The render directory (`.homelab/<env>` or `--out DIR`) is a symbolic link to a complete
 * generation next to it, `.<env>.gen-<pid>-<random>/`. A render writes a new generation, then
 * flips the link with rename(2), which replaces a symbolic link atomically: whenever homelab
 * is killed, DIR is either the previous render or the new one, complete. (Linux's
 * renameat2(RENAME_EXCHANGE) would swap two directories atomically, but Node cannot call it
 * without a native addon, and no maintained npm package offers one.)
 *
 * Leftovers — generations a killed render did not finish or flip to, links it did not rename,
 * and the `.X.render-*`/`.X.previous-*` directories of older homelab versions — hold the k3s
 * token in their Ignition files; every render removes those of its environment (marker check)
 * whose render process is gone. render deletes only what it made itself: a directory that is
 * neither empty nor a previous render is refused, and so is one that holds OpenTofu state.
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

/**
 * - absent: nothing there yet;
 * - empty: an empty directory (e.g. a new `--out`);
 * - previous-render: a link to a generation of this environment;
 * - previous-directory: a render directory written by an older homelab (a real directory).
 */
export type OutputDirState = "absent" | "empty" | "previous-render" | "previous-directory";

interface Marker {
  readonly generator: string;
  readonly environment: string;
}

export function markerFile(environmentName: string): RenderedFile {
  const marker: Marker = { generator: "homelab render", environment: environmentName };
  return { path: RENDER_MARKER, contents: `${JSON.stringify(marker)}\n`, mode: 0o644 };
}

/**
 * Called before and after each change render makes to the file system (tests stop a render
 * there to check that every point leaves a usable directory). Production code passes none.
 */
export interface OutputDirHooks {
  readonly step?: (label: string, when: "before" | "after") => void | Promise<void>;
}

function refused(dir: string, message: string, fix: string): HomelabError {
  return new HomelabError("render-out-refused", message, { where: { file: dir }, fix });
}

function reasonOf(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? (error instanceof Error ? error.message : String(error));
}

function writeFailed(dir: string, action: string, error: unknown): HomelabError {
  return new HomelabError("render-write-failed", `cannot ${action} (${reasonOf(error)})`, {
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

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Names of generations, links and older homelab's temporaries that belong to `dir`. */
function ownNames(dir: string) {
  const base = escapeRegExp(basename(dir));
  return {
    generation: new RegExp(`^\\.${base}\\.gen-(\\d+)-[0-9a-f]+$`),
    link: new RegExp(`^\\.${base}\\.link-(\\d+)-[0-9a-f]+$`),
    legacy: new RegExp(`^\\.${base}\\.(render|previous)-[0-9a-f]+$`),
  };
}

/** The generation a render-directory link points to, if it is one of ours. */
async function linkedGeneration(dir: string): Promise<string | undefined> {
  const target = await readlink(dir);
  if (!ownNames(dir).generation.test(target)) return undefined;
  const generation = join(dirname(dir), target);
  try {
    return (await lstat(generation)).isDirectory() ? generation : undefined;
  } catch {
    return undefined;
  }
}

/** Refuses a render directory of another environment, or one that holds OpenTofu state. */
async function checkRender(dir: string, contentsDir: string, environmentName: string): Promise<void> {
  const marker = await readMarker(contentsDir);
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
  const state = (await readdir(contentsDir)).filter((entry) => STATE_FILE.test(entry));
  if (state.length > 0) {
    throw refused(
      dir,
      `${dir} holds OpenTofu state (${state.join(", ")}); render never deletes state`,
      "Move the state to the environment's state directory (<state>/<env>/tofu/terraform.tfstate, where the " +
        "rendered backend points), then render again.",
    );
  }
}

/**
 * Decides whether render may replace `dir`, without changing anything. Throws
 * `render-out-refused` for anything render did not make (the repository root, a home
 * directory, a file, a symbolic link of someone else's) and for a previous render that holds
 * OpenTofu state.
 */
export async function inspectOutputDir(dir: string, environmentName: string): Promise<OutputDirState> {
  let info: Awaited<ReturnType<typeof lstat>>;
  try {
    info = await lstat(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return "absent";
    throw writeFailed(dir, `inspect ${dir}`, error);
  }
  try {
    if (info.isSymbolicLink()) {
      const generation = await linkedGeneration(dir);
      if (!generation) {
        throw refused(
          dir,
          `${dir} is a symbolic link that render did not make; render replaces its output directory and will not follow links`,
          "Pass the real directory with --out, or a new one.",
        );
      }
      await checkRender(dir, generation, environmentName);
      return "previous-render";
    }
    if (!info.isDirectory()) {
      throw refused(dir, `${dir} exists and is not a directory`, "Pass a new or empty directory with --out.");
    }
    if ((await readdir(dir)).length === 0) return "empty";
    await checkRender(dir, dir, environmentName);
    return "previous-directory";
  } catch (error) {
    if (error instanceof HomelabError) throw error;
    throw writeFailed(dir, `inspect ${dir}`, error);
  }
}

async function writeFileWithMode(path: string, contents: string, mode: number): Promise<void> {
  const handle = await open(path, "wx", mode);
  try {
    await handle.writeFile(contents);
    // On disk before the link points at it: a power cut must not leave a link to empty files.
    await handle.sync();
  } finally {
    await handle.close();
  }
  // The umask may have narrowed the mode; make it exactly what was asked.
  await chmod(path, mode);
}

async function syncDirectory(path: string): Promise<void> {
  const handle = await open(path, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Runs one change with the test hooks around it. */
async function step<T>(hooks: OutputDirHooks, label: string, change: () => Promise<T>): Promise<T> {
  await hooks.step?.(label, "before");
  const result = await change();
  await hooks.step?.(label, "after");
  return result;
}

async function writeTree(root: string, files: readonly RenderedFile[], hooks: OutputDirHooks): Promise<void> {
  // The marker first: a generation cut short by a kill is still recognisable as ours.
  const ordered = [...files].sort((a, b) =>
    a.path === RENDER_MARKER ? -1 : b.path === RENDER_MARKER ? 1 : a.path < b.path ? -1 : 1,
  );
  const directories = new Set<string>();
  for (const file of files) {
    const parent = dirname(file.path);
    if (parent !== ".") directories.add(parent);
  }
  for (const file of ordered) {
    const parent = dirname(file.path);
    if (parent !== "." && directories.has(parent)) {
      directories.delete(parent);
      await step(hooks, `mkdir ${parent}`, async () => {
        await mkdir(join(root, parent), { recursive: true, mode: 0o700 });
        await chmod(join(root, parent), 0o700);
      });
    }
    await step(hooks, `write ${file.path}`, () =>
      writeFileWithMode(join(root, file.path), file.contents, file.mode),
    );
  }
  await syncDirectory(root);
}

/** Keeps OpenTofu's lock file (copied) and data directory (moved) in the new generation. */
async function carryOver(from: string, to: string, hooks: OutputDirHooks): Promise<void> {
  for (const name of CARRIED_OVER) {
    const source = join(from, name);
    let info: Awaited<ReturnType<typeof lstat>>;
    try {
      info = await lstat(source);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") continue;
      throw error;
    }
    if (info.isDirectory()) await step(hooks, `move ${name}`, () => rename(source, join(to, name)));
    else if (info.isFile()) await step(hooks, `copy ${name}`, () => copyFile(source, join(to, name)));
  }
}

function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Removes a render directory of ours, the marker last: if this is cut short, what is left is
 * still recognisable and the next render finishes the job.
 */
async function removeRender(dir: string, hooks: OutputDirHooks): Promise<void> {
  for (const entry of await readdir(dir)) {
    if (entry !== RENDER_MARKER)
      await step(hooks, `remove ${entry}`, () => rm(join(dir, entry), { recursive: true, force: true }));
  }
  await step(hooks, "remove marker", () => rm(join(dir, RENDER_MARKER), { force: true }));
  await step(hooks, "remove directory", () => rmdir(dir));
}

/**
 * Removes what earlier renders of `dir` left next to it: generations other than `keep`,
 * unrenamed links, older homelab's temporaries — only those with this environment's marker (or
 * empty), and only when the render that made them is no longer running. Returns warnings.
 */
export async function cleanLeftovers(
  dir: string,
  environmentName: string,
  keep: string | undefined,
  hooks: OutputDirHooks = {},
): Promise<string[]> {
  const parent = dirname(dir);
  const names = ownNames(dir);
  let entries: string[];
  try {
    entries = await readdir(parent);
  } catch {
    return [];
  }
  const warnings: string[] = [];
  for (const entry of entries.sort()) {
    const path = join(parent, entry);
    if (keep !== undefined && path === keep) continue;
    const generation = names.generation.exec(entry);
    const link = names.link.exec(entry);
    const legacy = names.legacy.test(entry);
    if (!generation && !link && !legacy) continue;
    const pid = Number((generation ?? link)?.[1] ?? Number.NaN);
    if (!Number.isNaN(pid) && isAlive(pid) && pid !== process.pid) continue;
    try {
      const info = await lstat(path);
      if (link) {
        if (info.isSymbolicLink()) await step(hooks, `remove ${entry}`, () => unlink(path));
        continue;
      }
      if (!info.isDirectory()) continue;
      const contents = await readdir(path);
      const marker = contents.length === 0 ? undefined : await readMarker(path);
      // The marker is written first: a generation killed while writing it holds nothing else.
      const cutShort =
        marker === undefined &&
        contents.every((name) => name === RENDER_MARKER) &&
        (generation !== null || legacy);
      if (marker?.environment !== environmentName && !cutShort) continue;
      await removeRender(path, hooks);
    } catch (error) {
      warnings.push(
        `could not remove ${path}, left by an earlier render (${reasonOf(error)}); it may hold the k3s token: ` +
          `make it writable and delete it (chmod -R u+w '${path}' && rm -rf '${path}')`,
      );
    }
  }
  return warnings;
}

/**
 * Writes `files` as the new contents of `dir` (a link to a new generation, parents created
 * 0700): either the previous contents or the new ones, complete, at every moment. The caller
 * has validated everything; `inspectOutputDir` must have accepted `dir`. Returns warnings.
 */
export async function replaceOutputDir(
  dir: string,
  state: OutputDirState,
  files: readonly RenderedFile[],
  hooks: OutputDirHooks = {},
): Promise<readonly string[]> {
  const parent = dirname(dir);
  const base = basename(dir);
  const id = () => `${process.pid}-${randomBytes(6).toString("hex")}`;
  const generation = join(parent, `.${base}.gen-${id()}`);
  const environmentName = environmentOf(files);
  try {
    await step(hooks, "mkdir parent", () => mkdir(parent, { recursive: true, mode: 0o700 }));
    await step(hooks, "mkdir generation", () => mkdir(generation, { mode: 0o700 }));
    await chmod(generation, 0o700);
    await writeTree(generation, files, hooks);
    if (state === "previous-render") {
      const current = await linkedGeneration(dir);
      if (current) await carryOver(current, generation, hooks);
    } else if (state === "previous-directory") await carryOver(dir, generation, hooks);
  } catch (error) {
    await removeQuietly(generation);
    throw writeFailed(dir, `write the rendered files next to ${dir}`, error);
  }

  const link = join(parent, `.${base}.link-${id()}`);
  try {
    await step(hooks, "symlink", () => symlink(basename(generation), link));
    if (state === "empty") await step(hooks, "rmdir empty", () => rmdir(dir));
    // An older homelab's real directory becomes a generation-named leftover, removed below.
    if (state === "previous-directory")
      await step(hooks, "move previous directory", () => rename(dir, join(parent, `.${base}.gen-${id()}`)));
    await step(hooks, "flip", () => rename(link, dir));
  } catch (error) {
    await unlink(link).catch(() => undefined);
    await removeQuietly(generation);
    throw writeFailed(dir, `move the rendered files into ${dir}`, error);
  }
  await syncDirectory(parent).catch(() => undefined);
  return cleanLeftovers(dir, environmentName, generation, hooks);
}

function environmentOf(files: readonly RenderedFile[]): string {
  const marker = files.find((file) => file.path === RENDER_MARKER);
  try {
    return marker ? (JSON.parse(marker.contents) as Marker).environment : "";
  } catch {
    return "";
  }
}

async function removeQuietly(path: string): Promise<void> {
  await rm(path, { recursive: true, force: true }).catch(() => undefined);
}
