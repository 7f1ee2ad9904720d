import { readFile } from "node:fs/promises";
import { join } from "node:path";
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

/**
 * Merges the environment's kubeconfig into the user's own (`--merge-kubeconfig`), replacing
 * entries of the same name; written 0600 like kubectl does.
 */
export async function mergeIntoKubeconfigFile(
  userKubeconfig: string,
  text: string,
  contextName: string,
): Promise<void> {
  let existing: string | undefined;
  try {
    existing = await readFile(userKubeconfig, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  await writeSecretFileAtomic(userKubeconfig, mergeKubeconfig(existing, text, contextName));
}
