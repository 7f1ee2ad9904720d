/**
 * homelab's ClusterApi (the real @kubernetes/client-node underneath) against a FAKE API server:
 * a local HTTPS server that speaks only the endpoints homelab calls. Not Kubernetes.
 */
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, expect, it } from "vitest";
import {
  type ClusterApi,
  connectClusterApi,
  drainNode,
  realWaitClock,
  waitForNodesReady,
} from "../../src/cluster/index.js";
import type { HomelabError } from "../../src/errors/index.js";
import { describeWithTools } from "../support/real-tools.js";
import { type FakeKubeApi, fakeNode, fakePod, startFakeKubeApi } from "./fake-kube-api.js";

const clock = realWaitClock(() => performance.now());
let fake: FakeKubeApi;
let api: ClusterApi;
let kubeconfigPath: string;

beforeAll(async () => {
  fake = await startFakeKubeApi();
  kubeconfigPath = join(await mkdtemp(join(tmpdir(), "homelab-kube-")), "homelab-test.yaml");
  await writeFile(kubeconfigPath, fake.kubeconfig(), { mode: 0o600 });
  api = await connectClusterApi({ kubeconfigPath, requestTimeoutMs: 5000 });
});
afterAll(async () => {
  await fake?.close();
});
beforeEach(() => {
  fake.nodes.clear();
  fake.pods.length = 0;
  fake.blockedEvictions.clear();
  fake.requests.length = 0;
  fake.onRequest = undefined;
});

describeWithTools(["openssl"], "ClusterApi calls (fake API server)", () => {
  it("lists and reads nodes; a missing node is undefined", async () => {
    fake.nodes.set("k3s-dev-server-1", fakeNode("k3s-dev-server-1", "True"));
    expect((await api.listNodes()).map((n) => n.metadata?.name)).toEqual(["k3s-dev-server-1"]);
    expect((await api.readNode("k3s-dev-server-1"))?.status?.nodeInfo?.kubeletVersion).toBe("v1.34.2+k3s1");
    expect(await api.readNode("nope")).toBeUndefined();
  });

  it("cordons with a merge patch and deletes only the Node object it knew (uid precondition)", async () => {
    fake.nodes.set("k3s-dev-agent-1", fakeNode("k3s-dev-agent-1", "True", { uid: "new-uid" }));
    await api.cordonNode("k3s-dev-agent-1");
    expect(fake.nodes.get("k3s-dev-agent-1")?.spec?.unschedulable).toBe(true);
    expect(await api.deleteNode("k3s-dev-agent-1", "old-uid")).toBe("changed");
    expect(await api.deleteNode("k3s-dev-agent-1", "new-uid")).toBe("deleted");
    expect(await api.deleteNode("k3s-dev-agent-1")).toBe("gone");
  });

  it("turns wrong credentials and a dead server into kubernetes-unreachable", async () => {
    const badPath = `${kubeconfigPath}.bad`;
    await writeFile(badPath, fake.kubeconfig().replace(fake.token, "wrong"));
    const bad = await connectClusterApi({ kubeconfigPath: badPath });
    const refused = (await bad.listNodes().catch((e: unknown) => e)) as HomelabError;
    expect(refused.code).toBe("kubernetes-unreachable");
    expect(refused.message).toContain("refused homelab's credentials (HTTP 401)");
    expect(refused.fix).toContain("homelab kubeconfig");

    const deadPath = `${kubeconfigPath}.dead`;
    await writeFile(deadPath, fake.kubeconfig().replace(fake.url, "https://127.0.0.1:1"));
    const dead = (await (
      await connectClusterApi({ kubeconfigPath: deadPath })
    )
      .listNodes()
      .catch((e: unknown) => e)) as HomelabError;
    expect(dead.code).toBe("kubernetes-unreachable");
    expect(dead.message).toContain("https://127.0.0.1:1");

    const missing = (await connectClusterApi({ kubeconfigPath: "/no/such/kubeconfig" }).catch(
      (e: unknown) => e,
    )) as HomelabError;
    expect(missing.code).toBe("kubernetes-unreachable");
    expect(missing.where?.file).toBe("/no/such/kubeconfig");
  });
});

describeWithTools(["openssl"], "waitForNodesReady (fake API server)", () => {
  it("waits while nodes register and become Ready", async () => {
    let lists = 0;
    fake.onRequest = (method, path) => {
      if (method !== "GET" || path !== "/api/v1/nodes") return;
      lists++;
      if (lists === 2) fake.nodes.set("k3s-dev-server-1", fakeNode("k3s-dev-server-1", "False"));
      if (lists === 3) fake.nodes.set("k3s-dev-agent-1", fakeNode("k3s-dev-agent-1", "True"));
      if (lists === 4) fake.nodes.set("k3s-dev-server-1", fakeNode("k3s-dev-server-1", "True"));
    };
    const updates: string[] = [];
    const report = await waitForNodesReady({
      api,
      expected: ["k3s-dev-server-1", "k3s-dev-agent-1"],
      timeoutMs: 10_000,
      intervalMs: 10,
      clock,
      onProgress: (text) => updates.push(text),
    });
    expect(report.done).toBe(true);
    expect(lists).toBe(4);
    expect(updates[0]).toMatch(
      /^attempt 1, 0s: 0\/2 Ready; waiting for k3s-dev-server-1 \(not registered yet\), k3s-dev-agent-1 \(not registered yet\)$/,
    );
    expect(updates[2]).toContain("1/2 Ready");
  });

  it("times out with k3s-join-timeout naming each node and why", async () => {
    fake.nodes.set("k3s-dev-server-1", fakeNode("k3s-dev-server-1", "True"));
    const failure = (await waitForNodesReady({
      api,
      expected: ["k3s-dev-server-1", "k3s-dev-agent-1"],
      timeoutMs: 200,
      intervalMs: 50,
      clock,
    }).catch((e: unknown) => e)) as HomelabError;
    expect(failure.code).toBe("k3s-join-timeout");
    expect(failure.details).toEqual([{ message: "k3s-dev-agent-1: not registered yet" }]);
  });
});

describeWithTools(["openssl"], "drainNode (fake API server)", () => {
  it("cordons, evicts through the Eviction API, skips DaemonSet pods, retries a PDB block", async () => {
    fake.nodes.set("k3s-dev-agent-1", fakeNode("k3s-dev-agent-1", "True"));
    fake.pods.push(
      fakePod("default", "web-1", "k3s-dev-agent-1", "ReplicaSet"),
      fakePod("default", "db-0", "k3s-dev-agent-1", "StatefulSet"),
      fakePod("kube-system", "svclb-1", "k3s-dev-agent-1", "DaemonSet"),
      fakePod("default", "bare", "k3s-dev-agent-1"),
      fakePod("default", "elsewhere", "k3s-dev-agent-2", "ReplicaSet"),
    );
    fake.blockedEvictions.set("default/db-0", 2);
    const result = await drainNode({
      api,
      node: "k3s-dev-agent-1",
      timeoutMs: 10_000,
      intervalMs: 10,
      clock,
    });
    expect(fake.nodes.get("k3s-dev-agent-1")?.spec?.unschedulable).toBe(true);
    expect(result.evicted).toEqual(["default/bare", "default/db-0", "default/web-1"]);
    expect(result.exempt).toEqual([{ pod: "kube-system/svclb-1", why: "DaemonSet pod" }]);
    expect(result.unmanaged).toEqual(["default/bare"]);
    expect(fake.pods.map((p) => p.metadata?.name)).toEqual(["svclb-1", "elsewhere"]);
    expect(fake.requests.filter((r) => r.endsWith("/db-0/eviction"))).toHaveLength(3);
  });

  it("gives up with drain-timeout when a budget keeps blocking", async () => {
    fake.nodes.set("k3s-dev-agent-1", fakeNode("k3s-dev-agent-1", "True"));
    fake.pods.push(fakePod("default", "db-0", "k3s-dev-agent-1", "StatefulSet"));
    fake.blockedEvictions.set("default/db-0", 1_000_000);
    const failure = (await drainNode({
      api,
      node: "k3s-dev-agent-1",
      timeoutMs: 200,
      intervalMs: 50,
      clock,
    }).catch((e: unknown) => e)) as HomelabError;
    expect(failure.code).toBe("drain-timeout");
    expect(failure.message).toContain("blocked by a PodDisruptionBudget: default/db-0");
  });
});
