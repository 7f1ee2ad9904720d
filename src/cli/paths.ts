import { homedir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";

/**
 * Where homelab keeps things on the user's machine. Resolved once by the CLI from the
 * environment variables; the library only ever receives these paths as arguments.
 *
 * - state: secrets (k3s token, SSH and deploy keys), OpenTofu state and its backups, the
 *   per-environment known_hosts, the run lock. Never inside the repository, never cleaned by
 *   `render`. Directories 0700, files 0600.
 * - cache: downloaded Flatcar images (verified), re-downloadable.
 * - kube: where kubeconfigs are written (`~/.kube`).
 */
export interface HomelabPaths {
  readonly home: string;
  readonly stateRoot: string;
  readonly cacheRoot: string;
  readonly kubeDir: string;
}

export function resolvePaths(env: NodeJS.ProcessEnv, cwd: string): HomelabPaths {
  const home = env.HOME && isAbsolute(env.HOME) ? env.HOME : homedir();
  const fromEnv = (name: string): string | undefined => {
    const value = env[name];
    return value && value.length > 0 ? resolve(cwd, value) : undefined;
  };
  const xdgState = fromEnv("XDG_STATE_HOME") ?? join(home, ".local", "state");
  const xdgCache = fromEnv("XDG_CACHE_HOME") ?? join(home, ".cache");
  return {
    home,
    stateRoot: fromEnv("HOMELAB_STATE_DIR") ?? join(xdgState, "homelab"),
    cacheRoot: fromEnv("HOMELAB_CACHE_DIR") ?? join(xdgCache, "homelab"),
    kubeDir: join(home, ".kube"),
  };
}

/** The per-environment state directory (0700). */
export function environmentStateDir(paths: HomelabPaths, environmentName: string): string {
  return join(paths.stateRoot, environmentName);
}
