import { request } from "node:https";
import { HomelabError } from "../errors/index.js";
import { type AttemptOutcome, type WaitClock, type WaitProgress, waitUntil } from "./wait.js";

/** k3s's supervisor and API server port. */
export const K3S_API_PORT = 6443;

/** `https://<address>:6443`. */
export function k3sServerUrl(address: string, port = K3S_API_PORT): string {
  return `https://${address}:${port}`;
}

/**
 * One GET of k3s's unauthenticated `/ping` (it answers `pong`). The server certificate is not
 * verified here: homelab does not have the cluster CA before it fetches the kubeconfig, and
 * this request carries no credentials and trusts nothing in the answer. Everything after it
 * uses the kubeconfig, which pins the cluster CA.
 */
export function pingK3s(serverUrl: string, requestTimeoutMs = 5000): Promise<AttemptOutcome<void>> {
  return new Promise((resolvePromise) => {
    const url = new URL("/ping", serverUrl);
    const req = request(
      url,
      { method: "GET", rejectUnauthorized: false, timeout: requestTimeoutMs },
      (response) => {
        let body = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => {
          if (body.length < 1024) body += chunk;
        });
        response.on("end", () => {
          if (response.statusCode === 200 && body.trim() === "pong")
            resolvePromise({ done: true, value: undefined });
          else
            resolvePromise({
              done: false,
              problem: `${url.href} answered ${response.statusCode} ${JSON.stringify(body.slice(0, 80))}`,
            });
        });
        response.on("error", (error) => resolvePromise({ done: false, problem: error.message }));
      },
    );
    req.on("timeout", () => req.destroy(new Error(`no answer within ${requestTimeoutMs} ms`)));
    req.on("error", (error: NodeJS.ErrnoException) => {
      resolvePromise({ done: false, problem: `${url.host}: ${error.code ?? error.message}` });
    });
    req.end();
  });
}

export interface WaitForServerOptions {
  readonly serverUrl: string;
  /** The first server's node name, for messages. */
  readonly nodeName: string;
  readonly timeoutMs: number;
  readonly intervalMs?: number;
  readonly requestTimeoutMs?: number;
  readonly clock: WaitClock;
  readonly onProgress?: (text: string, progress: WaitProgress) => void;
}

/** Waits until the first server answers `/ping`; `k3s-server-timeout` otherwise. */
export async function waitForK3sServer(
  options: WaitForServerOptions,
): Promise<{ attempts: number; elapsedMs: number }> {
  const result = await waitUntil({
    timeoutMs: options.timeoutMs,
    intervalMs: options.intervalMs ?? 3000,
    clock: options.clock,
    attempt: () => pingK3s(options.serverUrl, options.requestTimeoutMs),
    onProgress: options.onProgress,
  });
  if (result.ok) return { attempts: result.attempts, elapsedMs: result.elapsedMs };
  throw new HomelabError(
    "k3s-server-timeout",
    `${options.nodeName} did not answer ${options.serverUrl}/ping within ${Math.round(options.timeoutMs / 1000)}s (${result.attempts} attempts; last: ${result.lastProblem})`,
    {
      fix:
        `A first boot downloads and verifies k3s, so give it time: \`homelab up --timeout 15m\`. To see what the node is doing: ` +
        `\`virsh console ${options.nodeName}\` (Ignition and boot messages), or \`homelab ssh ${options.nodeName} -- journalctl -u k3s --no-pager\`. ` +
        "No answer at all usually means the VM has no network: check `homelab doctor`.",
    },
  );
}
