import { lstat, readFile, readlink } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { HomelabError, isHomelabError } from "../errors/index.js";
import { writeSecretFileAtomic } from "../secrets/index.js";
import { runSshCommand, type SshTarget } from "../ssh/index.js";
import { mergeKubeconfig, rewriteKubeconfig } from "./kubeconfig.js";
import { type WaitClock, type WaitProgress, waitUntil } from "./wait.js";

/** Where k3s writes its admin kubeconfig on a server. */
export const K3S_KUBECONFIG_PATH = "/etc/rancher/k3s/k3s.yaml";

/** `~/.kube/homelab-<env>.yaml`. */
export function kubeconfigPathFor(kubeDir: string, environment: string): string {
  return join(kubeDir, `homelab-${environment}.yaml`);
}

export interface FetchKubeconfigOptions {
  readonly target: SshTarget;
  readonly nodeName: string;
  /** `https://<first server>:6443`. */
  readonly server: string;
  /** `homelab-<env>`. */
  readonly contextName: string;
  /**
   * The remote command printing the kubeconfig (default `sudo cat /etc/rancher/k3s/k3s.yaml`:
   * the file is root-only with kubeconfigMode 0600; `core` has passwordless sudo on Flatcar).
   */
  readonly remoteCommand?: readonly string[];
  readonly timeoutMs: number;
  readonly intervalMs?: number;
  readonly clock: WaitClock;
  readonly onProgress?: (text: string, progress: WaitProgress) => void;
  /** The ssh program (default `ssh`). */
  readonly ssh?: string;
}

/**
 * Reads the kubeconfig over SSH, retrying while k3s is still writing it or sshd is not up yet,
 * and returns it rewritten for the host. A changed host key fails at once.
 */
export async function fetchKubeconfig(options: FetchKubeconfigOptions): Promise<string> {
  const command = options.remoteCommand ?? ["sudo", "cat", K3S_KUBECONFIG_PATH];
  const source = `${options.nodeName}:${command[command.length - 1]}`;
  const result = await waitUntil<string>({
    timeoutMs: options.timeoutMs,
    intervalMs: options.intervalMs ?? 3000,
    clock: options.clock,
    onProgress: options.onProgress,
    attempt: async () => {
      const run = await runSshCommand(options.target, command, {
        nodeName: options.nodeName,
        ssh: options.ssh,
      });
      if (run.exitCode !== 0) {
        const why = run.stderr.trim().split("\n").pop() || `exit status ${run.exitCode}`;
        return {
          done: false,
          problem: `ssh ${options.target.user ?? "core"}@${options.target.host}: ${why}`,
        };
      }
      try {
        return {
          done: true,
          value: rewriteKubeconfig(run.stdout, { server: options.server, name: options.contextName, source }),
        };
      } catch (error) {
        // k3s may be halfway through writing the file: try again, report it if it stays so.
        if (isHomelabError(error)) return { done: false, problem: error.message };
        throw error;
      }
    },
  });
  if (result.ok) return result.value;
  throw new HomelabError(
    "kubeconfig-fetch-failed",
    `could not read the kubeconfig from ${options.nodeName} within ${Math.round(options.timeoutMs / 1000)}s (last: ${result.lastProblem})`,
    {
      where: { file: source },
      fix:
        `Check that you can log in: \`homelab ssh ${options.nodeName}\` (homelab's key must be in the node's Ignition; a node ` +
        `built before the key existed needs \`homelab replace ${options.nodeName}\`). Then \`homelab kubeconfig\` fetches it again.`,
    },
  );
}

/** Writes the environment's kubeconfig, 0600 (it holds the cluster's admin credentials). */
export async function writeKubeconfigFile(path: string, text: string): Promise<void> {
  await writeSecretFileAtomic(path, text);
}

/** Symbolic links followed before giving up (as the kernel's own limit, MAXSYMLINKS). */
const MAX_LINKS = 40;

/**
 * The file a write to `path` must replace: `path` itself, or — when it is a symbolic link, as
 * when ~/.kube/config is kept in a dotfiles repository — the file the chain of links ends at
 * (which may not exist yet). Renaming over the link would replace the link with a file.
 */
export async function resolveWriteTarget(
  path: string,
): Promise<{ target: string; mode: number | undefined }> {
  let current = resolve(path);
  for (let hops = 0; hops <= MAX_LINKS; hops++) {
    let info: Awaited<ReturnType<typeof lstat>>;
    try {
      info = await lstat(current);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return { target: current, mode: undefined };
      throw error;
    }
    if (!info.isSymbolicLink()) return { target: current, mode: info.mode & 0o777 };
    current = resolve(dirname(current), await readlink(current));
  }
  throw new HomelabError("kubeconfig-merge-failed", `${path} is a loop of symbolic links`, {
    where: { file: path },
    fix: `Point ${path} at a real file (\`ls -l ${path}\` shows where it leads), or set KUBECONFIG to one.`,
  });
}

/**
 * Merges the environment's kubeconfig into the user's own (`--merge-kubeconfig`), replacing
 * entries of the same name. Written atomically into the file itself — through a symbolic link
 * to where it points, never replacing the link — keeping the file's owner permissions; group
 * and others never get access (the merged file holds the cluster's admin key). A new file is
 * 0600, as kubectl writes it.
 */
export async function mergeIntoKubeconfigFile(
  userKubeconfig: string,
  text: string,
  contextName: string,
): Promise<void> {
  const failed = (error: unknown, doing: string) =>
    new HomelabError(
      "kubeconfig-merge-failed",
      `cannot ${doing} ${userKubeconfig}: ${(error as Error).message}`,
      {
        cause: error,
        where: { file: userKubeconfig },
        fix:
          `Check that you own ${userKubeconfig} (and the file a symbolic link there points to) and its directory. ` +
          "The environment's own kubeconfig was written anyway; `homelab kubeconfig ENV --merge-kubeconfig` tries the merge again.",
      },
    );
  let resolved: Awaited<ReturnType<typeof resolveWriteTarget>>;
  let existing: string | undefined;
  try {
    resolved = await resolveWriteTarget(userKubeconfig);
    existing = resolved.mode === undefined ? undefined : await readFile(resolved.target, "utf8");
  } catch (error) {
    if (isHomelabError(error)) throw error;
    throw failed(error, "read");
  }
  const merged = mergeKubeconfig(existing, text, contextName);
  try {
    await writeSecretFileAtomic(resolved.target, merged, resolved.mode ?? 0o600);
  } catch (error) {
    throw failed((error as Error).cause ?? error, "write");
  }
}
