import { execFile } from "node:child_process";
import { access, lstat } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import type { PlanWarning } from "../plan/types.js";

/**
 * Rendered files (Ignition holds the k3s token) and the state directory (token, SSH keys,
 * OpenTofu state) must never be committed. The defaults are safe — `.homelab/` is in the
 * repository's .gitignore and the state lives in ~/.local/state — but `--out DIR` or
 * HOMELAB_STATE_DIR inside the repository put them in the work tree. This asks Git itself
 * (`git check-ignore`, which knows every ignore rule) and warns, with the fix, when such a
 * directory is inside a work tree and not ignored.
 */

/** Where git usually is; the library reads no PATH. Without git there is nothing to commit with. */
const GIT_CANDIDATES = [
  "/usr/bin/git",
  "/usr/local/bin/git",
  "/bin/git",
  "/opt/homebrew/bin/git",
  "/run/current-system/sw/bin/git",
];

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

async function findGit(home: string): Promise<string | undefined> {
  for (const candidate of [...GIT_CANDIDATES, join(home, ".nix-profile", "bin", "git")]) {
    if (await exists(candidate)) return candidate;
  }
  return undefined;
}

/** The work tree containing `path` (the nearest ancestor with a `.git`), if any. */
async function workTreeOf(path: string): Promise<string | undefined> {
  let current = path;
  for (;;) {
    try {
      await lstat(join(current, ".git"));
      return current;
    } catch {
      // Not here; look further up.
    }
    const parent = dirname(current);
    if (parent === current) return undefined;
    current = parent;
  }
}

/** true: ignored; false: not ignored; undefined: git could not say. */
function checkIgnore(
  git: string,
  workTree: string,
  path: string,
  home: string,
): Promise<boolean | undefined> {
  return new Promise((resolve) => {
    execFile(
      git,
      ["-C", workTree, "check-ignore", "-q", "--", `${relative(workTree, path)}/`],
      // HOME for the user's global excludes file; nothing else from homelab's environment.
      { env: { HOME: home }, timeout: 5_000 },
      (error) => {
        if (!error) resolve(true);
        else resolve(typeof error.code === "number" && error.code === 1 ? false : undefined);
      },
    );
  });
}

export interface SecretDirectory {
  /** The directory that holds the secrets (it need not exist yet). */
  readonly path: string;
  /** How to name it in the message, if not by `path`. */
  readonly shown?: string;
  /** What it holds, for the message: "the rendered files (the k3s token in Ignition)". */
  readonly holds: string;
  /** How to move it elsewhere: "pass --out outside the repository". */
  readonly move: string;
  /** Absolute paths (the last part may be a glob) whose .gitignore lines cover it. */
  readonly ignore: readonly string[];
}

/** A warning for each directory that is inside a Git work tree and not ignored. */
export async function unignoredSecretWarnings(
  directories: readonly SecretDirectory[],
  home: string,
): Promise<PlanWarning[]> {
  const warnings: PlanWarning[] = [];
  let git: string | undefined | null = null;
  for (const directory of directories) {
    const workTree = await workTreeOf(directory.path);
    if (!workTree || workTree === directory.path) continue;
    git = git === null ? await findGit(home) : git;
    if (!git) continue;
    if ((await checkIgnore(git, workTree, directory.path, home)) !== false) continue;
    const lines = directory.ignore
      .map((path) => `\`/${relative(workTree, path)}${path.endsWith("/") ? "/" : ""}\``)
      .join(" and ");
    warnings.push({
      message:
        `${directory.shown ?? directory.path} holds ${directory.holds} and is inside the Git repository ${workTree} without being ignored: ` +
        `\`git add\` would commit it. Add ${lines} to ${join(workTree, ".gitignore")}, or ${directory.move}`,
      where: { file: directory.path },
      code: "secrets-not-ignored",
    });
  }
  return warnings;
}
