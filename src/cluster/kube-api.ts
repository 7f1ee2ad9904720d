import { HomelabError, isHomelabError } from "../errors/index.js";
import type { NodeObject, PodObject } from "./kube-objects.js";
import type { AttemptOutcome } from "./wait.js";

/**
 * The few Kubernetes API calls homelab makes, behind an interface: the implementation uses
 * @kubernetes/client-node, loaded only when a command talks to a cluster (it is large).
 * Transport failures become `kubernetes-unreachable`; HTTP answers become results.
 */
export interface ClusterApi {
  listNodes(): Promise<NodeObject[]>;
  readNode(name: string): Promise<NodeObject | undefined>;
  /** Marks the node unschedulable (`kubectl cordon`). */
  cordonNode(name: string): Promise<void>;
  listPodsOnNode(name: string): Promise<PodObject[]>;
  /** Eviction API (respects PodDisruptionBudgets): `blocked` when a budget says not now. */
  evictPod(namespace: string, name: string): Promise<"evicted" | "blocked" | "gone">;
  /** Deletes a Node object, only if it still has `uid` when given (else `changed`). */
  deleteNode(name: string, uid?: string): Promise<"deleted" | "gone" | "changed">;
}

export interface ConnectOptions {
  /** A kubeconfig file (the one homelab wrote: `~/.kube/homelab-<env>.yaml`). */
  readonly kubeconfigPath: string;
  /** Per request (default 10 s): a dead API server must not hang a command. */
  readonly requestTimeoutMs?: number;
}

type ClientNode = typeof import("@kubernetes/client-node");

function statusOf(error: unknown): number | undefined {
  const code = (error as { code?: unknown }).code;
  return typeof code === "number" ? code : undefined;
}

function unreachable(server: string, error: unknown): HomelabError {
  const status = statusOf(error);
  const detail =
    status === 401 || status === 403
      ? `the API server refused homelab's credentials (HTTP ${status})`
      : (
          (error as { cause?: { code?: string } }).cause?.code ??
          (error as Error).message ??
          String(error)
        ).split("\n")[0];
  return new HomelabError(
    "kubernetes-unreachable",
    `the Kubernetes API at ${server} cannot be used: ${detail}`,
    {
      cause: error,
      fix:
        status === 401 || status === 403
          ? "The kubeconfig is from an earlier cluster. Fetch the current one with `homelab kubeconfig`."
          : "Check that the VMs run (`homelab status`) and the first server is up; `homelab kubeconfig` fetches the kubeconfig again.",
    },
  );
}

/**
 * For waits: an API that does not answer (yet) is one more reason to wait, not a failure —
 * servers restart while nodes join. Other errors end the wait.
 */
export async function unreachableMeansNotYet<T>(
  attempt: () => Promise<AttemptOutcome<T>>,
): Promise<AttemptOutcome<T>> {
  try {
    return await attempt();
  } catch (error) {
    if (isHomelabError(error) && error.code === "kubernetes-unreachable")
      return { done: false, problem: error.message };
    throw error;
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Connects (lazily loading the client library); reading the kubeconfig may fail here. */
export async function connectClusterApi(options: ConnectOptions): Promise<ClusterApi> {
  const k8s: ClientNode = await import("@kubernetes/client-node");
  const config = new k8s.KubeConfig();
  try {
    config.loadFromFile(options.kubeconfigPath);
  } catch (error) {
    throw new HomelabError(
      "kubernetes-unreachable",
      `cannot read the kubeconfig ${options.kubeconfigPath}: ${(error as Error).message}`,
      {
        cause: error,
        where: { file: options.kubeconfigPath },
        fix: "Run `homelab kubeconfig` to fetch it from the cluster (or `homelab up` if the cluster does not exist yet).",
      },
    );
  }
  const server = config.getCurrentCluster()?.server ?? "(no server in the kubeconfig)";
  const core = config.makeApiClient(k8s.CoreV1Api);
  const timeoutMs = options.requestTimeoutMs ?? 10_000;
  const call = async <T>(
    what: string,
    request: () => Promise<T>,
    answers: Readonly<Record<number, T>> = {},
  ): Promise<T> => {
    try {
      return await withTimeout(request(), timeoutMs, what);
    } catch (error) {
      const status = statusOf(error);
      if (status !== undefined && status in answers) return answers[status] as T;
      if (status !== undefined && status !== 401 && status !== 403) {
        throw new HomelabError("kubernetes-unreachable", `${what} failed at ${server}: HTTP ${status}`, {
          cause: error,
          fix: "Check the cluster with `kubectl --kubeconfig <file> get nodes`; this is unexpected from a healthy k3s.",
        });
      }
      throw unreachable(server, error);
    }
  };
  const mergePatch = k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch);
  return {
    listNodes: async () => (await call("list nodes", () => core.listNode())).items,
    readNode: (name) =>
      call<NodeObject | undefined>(`read node ${name}`, () => core.readNode({ name }), { 404: undefined }),
    cordonNode: async (name) => {
      await call(`cordon ${name}`, () =>
        core.patchNode({ name, body: { spec: { unschedulable: true } } }, mergePatch),
      );
    },
    listPodsOnNode: async (name) =>
      (
        await call(`list pods on ${name}`, () =>
          core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${name}` }),
        )
      ).items,
    evictPod: (namespace, name) =>
      call<"evicted" | "blocked" | "gone">(
        `evict ${namespace}/${name}`,
        async () => {
          await core.createNamespacedPodEviction({
            name,
            namespace,
            body: { apiVersion: "policy/v1", kind: "Eviction", metadata: { name, namespace } },
          });
          return "evicted";
        },
        { 429: "blocked", 404: "gone" },
      ),
    deleteNode: (name, uid) =>
      call<"deleted" | "gone" | "changed">(
        `delete node ${name}`,
        async () => {
          await core.deleteNode({ name, body: uid === undefined ? undefined : { preconditions: { uid } } });
          return "deleted";
        },
        { 404: "gone", 409: "changed" },
      ),
  };
}
