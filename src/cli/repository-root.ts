import { statSync } from "node:fs";
import { dirname, join } from "node:path";

/**
 * The homelab repository a command runs in: the nearest folder, from `start` upwards, that has
 * an `environments/` directory or a `homelab.lock.json` — as git finds `.git` and tofu its
 * configuration, so that `homelab status` works from `kubernetes/apps/`. Undefined when no folder
 * up to the filesystem root has either.
 */
export function findRepositoryRoot(start: string): string | undefined {
  let directory = start;
  for (;;) {
    if (isDirectory(join(directory, "environments")) || isFile(join(directory, "homelab.lock.json")))
      return directory;
    const parent = dirname(directory);
    if (parent === directory) return undefined;
    directory = parent;
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
