import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type FakeKubeApi, fakeNode, fakePod, startFakeKubeApi } from "../cluster/fake-kube-api.js";

/**
 * A FAKE k3s cluster for the rollout tests: the fake Kubernetes API (test/cluster/fake-kube-api.ts)
 * plus what machines do to it. When the stand-in tofu (standin-tofu.mjs) has applied, it posts
 * which nodes got a new machine and which machines were removed; the fake then registers each new
 * machine as a Ready Node with a new uid and boot ID (as a booting VM's kubelet would), gives every
 * agent one Deployment pod (so that a drain has something to evict) and forgets removed ones.
 * Knobs make one node never become Ready. Not k3s: see docs/testing.md.
 */
export interface FakeCluster {
  readonly api: FakeKubeApi;
  /** Where the stand-in tofu posts machine changes (`HOMELAB_TEST_FAKE_CLUSTER`). */
  readonly controlUrl: string;
  /** What happened, in order: `cordon <n>`, `evict <pod>`, `delete <n>`, `boot <n>`, `remove <n>`. */
  readonly timeline: string[];
  /** New machines of these nodes register, but never report Ready. */
  readonly neverReady: Set<string>;
  close(): Promise<void>;
}

export async function startFakeCluster(): Promise<FakeCluster> {
  const api = await startFakeKubeApi();
  const timeline: string[] = [];
  const neverReady = new Set<string>();
  let generation = 0;
  api.onRequest = (method, path) => {
    const node = /^\/api\/v1\/nodes\/([^/]+)$/.exec(path)?.[1];
    const pod = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/eviction$/.exec(path);
    if (method === "PATCH" && node) timeline.push(`cordon ${decodeURIComponent(node)}`);
    if (method === "DELETE" && node) timeline.push(`delete ${decodeURIComponent(node)}`);
    if (method === "POST" && pod) timeline.push(`evict ${pod[1]}/${pod[2]}`);
  };
  const boot = (name: string) => {
    generation++;
    const node = fakeNode(name, neverReady.has(name) ? "False" : "True", {
      uid: `uid-${name}-${generation}`,
      bootID: `boot-${name}-${generation}`,
    });
    const labels: Record<string, string> = name.includes("-server-")
      ? { "node-role.kubernetes.io/control-plane": "true", "node-role.kubernetes.io/etcd": "true" }
      : {};
    api.nodes.set(name, { ...node, metadata: { ...node.metadata, labels } });
    if (name.includes("-agent-")) {
      for (let i = api.pods.length - 1; i >= 0; i--)
        if (api.pods[i]?.spec?.nodeName === name) api.pods.splice(i, 1);
      api.pods.push(fakePod("apps", `hello-${name}-${generation}`, name, "ReplicaSet"));
    }
    timeline.push(`boot ${name}`);
  };
  const control: Server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => {
      body += chunk.toString();
    });
    request.on("end", () => {
      const change = JSON.parse(body || "{}") as { booted?: string[]; removed?: string[] };
      for (const name of change.booted ?? []) boot(name);
      for (const name of change.removed ?? []) {
        api.nodes.delete(name);
        timeline.push(`remove ${name}`);
      }
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => control.listen(0, "127.0.0.1", resolve));
  const port = (control.address() as AddressInfo).port;
  return {
    api,
    controlUrl: `http://127.0.0.1:${port}`,
    timeline,
    neverReady,
    close: async () => {
      control.closeAllConnections();
      await new Promise<void>((resolve) => control.close(() => resolve()));
      await api.close();
    },
  };
}
