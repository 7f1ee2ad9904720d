/**
 * A FAKE Kubernetes API server: a tiny HTTPS server on 127.0.0.1 that speaks only the
 * endpoints homelab calls (list/read/patch/delete nodes, list pods by node, pod eviction),
 * with bearer-token auth. It lets tests drive the real @kubernetes/client-node through
 * homelab's ClusterApi. It is not Kubernetes: no k3s can run here (see docs/testing.md).
 */
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import type { NodeObject, PodObject } from "../../src/cluster/index.js";
import { selfSignedCertificate } from "./tls.js";

type Mutable<T> = { -readonly [K in keyof T]: T[K] extends object ? Mutable<T[K]> : T[K] };

export interface FakeKubeApi {
  readonly url: string;
  readonly token: string;
  readonly caPem: string;
  readonly nodes: Map<string, Mutable<NodeObject>>;
  readonly pods: Mutable<PodObject>[];
  /** Pods ("ns/name") whose eviction a PodDisruptionBudget blocks, this many more times. */
  readonly blockedEvictions: Map<string, number>;
  /** Every request as "METHOD path?query". */
  readonly requests: string[];
  /** Called on every request before it is answered (to change state over time). */
  onRequest: ((method: string, path: string) => void) | undefined;
  kubeconfig(): string;
  close(): Promise<void>;
}

export function fakeNode(
  name: string,
  ready: "True" | "False" | "Unknown" | undefined,
  extra: { uid?: string; bootID?: string } = {},
): Mutable<NodeObject> {
  return {
    metadata: {
      name,
      uid: extra.uid ?? `uid-${name}`,
      creationTimestamp: "2025-01-31T14:00:00Z",
      labels: {},
    },
    spec: {},
    status: {
      conditions:
        ready === undefined
          ? []
          : [
              {
                type: "Ready",
                status: ready,
                reason: ready === "True" ? "KubeletReady" : "KubeletNotReady",
                message: "",
              },
            ],
      nodeInfo: {
        kubeletVersion: "v1.34.2+k3s1",
        osImage: "Flatcar Container Linux by Kinvolk 4230.2.3 (Oklo)",
        bootID: extra.bootID ?? `boot-${name}`,
      },
    },
  };
}

export function fakePod(namespace: string, name: string, node: string, owner?: string): Mutable<PodObject> {
  return {
    metadata: {
      name,
      namespace,
      uid: `uid-${namespace}-${name}`,
      ...(owner ? { ownerReferences: [{ kind: owner, name: `${name}-owner`, controller: true }] } : {}),
    },
    spec: { nodeName: node },
    status: { phase: "Running" },
  };
}

export async function startFakeKubeApi(): Promise<FakeKubeApi> {
  const { cert, key } = selfSignedCertificate();
  const token = "test-token-not-a-secret";
  const nodes = new Map<string, Mutable<NodeObject>>();
  const pods: Mutable<PodObject>[] = [];
  const blockedEvictions = new Map<string, number>();
  const requests: string[] = [];
  const state: { onRequest: FakeKubeApi["onRequest"] } = { onRequest: undefined };

  const server: Server = createServer({ cert, key }, (req, res) => {
    const url = new URL(req.url ?? "/", "https://127.0.0.1");
    const method = req.method ?? "GET";
    requests.push(`${method} ${url.pathname}${url.search}`);
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    const status = (code: number, reason: string) =>
      send(code, { kind: "Status", apiVersion: "v1", status: "Failure", reason, code, message: reason });
    let body = "";
    req.on("data", (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on("end", () => {
      state.onRequest?.(method, url.pathname);
      if (req.headers.authorization !== `Bearer ${token}`) return status(401, "Unauthorized");
      const path = url.pathname;
      const nodeMatch = /^\/api\/v1\/nodes\/([^/]+)$/.exec(path);
      const evictionMatch = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/eviction$/.exec(path);
      if (method === "GET" && path === "/api/v1/nodes") {
        return send(200, { kind: "NodeList", apiVersion: "v1", metadata: {}, items: [...nodes.values()] });
      }
      if (nodeMatch) {
        const name = decodeURIComponent(nodeMatch[1]!);
        const node = nodes.get(name);
        if (!node) return status(404, "NotFound");
        if (method === "GET") return send(200, node);
        if (method === "PATCH") {
          if (req.headers["content-type"] !== "application/merge-patch+json")
            return status(415, "UnsupportedMediaType");
          const patch = JSON.parse(body) as { spec?: { unschedulable?: boolean } };
          node.spec = { ...node.spec, ...patch.spec };
          return send(200, node);
        }
        if (method === "DELETE") {
          const options = body ? (JSON.parse(body) as { preconditions?: { uid?: string } }) : {};
          if (options.preconditions?.uid !== undefined && options.preconditions.uid !== node.metadata?.uid)
            return status(409, "Conflict");
          nodes.delete(name);
          return send(200, { kind: "Status", apiVersion: "v1", status: "Success" });
        }
      }
      if (method === "GET" && path === "/api/v1/pods") {
        const selector = url.searchParams.get("fieldSelector") ?? "";
        const nodeName = /^spec\.nodeName=(.+)$/.exec(selector)?.[1];
        const items = pods.filter((pod) => nodeName === undefined || pod.spec?.nodeName === nodeName);
        return send(200, { kind: "PodList", apiVersion: "v1", metadata: {}, items });
      }
      if (method === "POST" && evictionMatch) {
        const [namespace, name] = [evictionMatch[1]!, evictionMatch[2]!];
        const index = pods.findIndex(
          (pod) => pod.metadata?.namespace === namespace && pod.metadata?.name === name,
        );
        if (index === -1) return status(404, "NotFound");
        const key = `${namespace}/${name}`;
        const blocked = blockedEvictions.get(key) ?? 0;
        if (blocked > 0) {
          blockedEvictions.set(key, blocked - 1);
          return status(429, "TooManyRequests");
        }
        pods.splice(index, 1);
        return send(201, JSON.parse(body));
      }
      return status(404, "NotFound");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  const url = `https://127.0.0.1:${port}`;
  return {
    url,
    token,
    caPem: cert,
    nodes,
    pods,
    blockedEvictions,
    requests,
    get onRequest() {
      return state.onRequest;
    },
    set onRequest(value) {
      state.onRequest = value;
    },
    kubeconfig: () =>
      [
        "apiVersion: v1",
        "kind: Config",
        "clusters:",
        "- name: homelab-test",
        "  cluster:",
        `    server: ${url}`,
        `    certificate-authority-data: ${Buffer.from(cert).toString("base64")}`,
        "users:",
        "- name: homelab-test",
        "  user:",
        `    token: ${token}`,
        "contexts:",
        "- name: homelab-test",
        "  context: {cluster: homelab-test, user: homelab-test}",
        "current-context: homelab-test",
        "",
      ].join("\n"),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
