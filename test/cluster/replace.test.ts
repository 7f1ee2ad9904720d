/**
 * Replacing a node: the wait for the new machine (real @kubernetes/client-node against a FAKE API
 * server). When a replacement is safe is the rollout's (src/rollout/execute.ts, quorum).
 */
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectClusterApi, realWaitClock, waitForReplacement } from "../../src/cluster/index.js";
import type { HomelabError } from "../../src/errors/index.js";
import { describeWithTools } from "../support/real-tools.js";
import { type FakeKubeApi, fakeNode, startFakeKubeApi } from "./fake-kube-api.js";

describeWithTools(["openssl"], "waitForReplacement (fake API server)", () => {
  let fake: FakeKubeApi;
  let kubeconfigPath: string;
  beforeAll(async () => {
    fake = await startFakeKubeApi();
    kubeconfigPath = join(await mkdtemp(join(tmpdir(), "homelab-replace-")), "kubeconfig");
    await writeFile(kubeconfigPath, fake.kubeconfig(), { mode: 0o600 });
  });
  afterAll(async () => {
    await fake?.close();
  });

  it("deletes a Node object the old machine re-registered, then waits for the new machine to be Ready", async () => {
    const name = "k3s-dev-agent-1";
    const previous = { uid: "uid-old", bootId: "boot-old" };
    fake.nodes.set(name, fakeNode(name, "True", { uid: "uid-reregistered", bootID: "boot-old" }));
    let reads = 0;
    fake.onRequest = (method, path) => {
      if (method !== "GET" || path !== `/api/v1/nodes/${name}`) return;
      reads++;
      if (reads === 3) fake.nodes.set(name, fakeNode(name, "False", { uid: "uid-new", bootID: "boot-new" }));
      if (reads === 4) fake.nodes.set(name, fakeNode(name, "True", { uid: "uid-new", bootID: "boot-new" }));
    };
    const api = await connectClusterApi({ kubeconfigPath });
    const updates: string[] = [];
    const result = await waitForReplacement({
      api,
      node: name,
      previous,
      timeoutMs: 10_000,
      intervalMs: 10,
      clock: realWaitClock(() => performance.now()),
      onProgress: (text) => updates.push(text),
    });
    expect(result).toEqual({ bootId: "boot-new", staleObjectsRemoved: 1 });
    expect(fake.requests).toContain(`DELETE /api/v1/nodes/${name}`);
    expect(updates.map((u) => u.replace(/^attempt \d+, \d+s: /, ""))).toEqual([
      "removed a Node object of the old machine; waiting for the new one",
      "the new machine has not registered yet",
      "registered, not Ready yet (KubeletNotReady)",
    ]);
  });

  it("times out with k3s-join-timeout when the new machine never registers", async () => {
    fake.onRequest = undefined;
    fake.nodes.clear();
    const api = await connectClusterApi({ kubeconfigPath });
    const failure = (await waitForReplacement({
      api,
      node: "k3s-dev-agent-2",
      previous: undefined,
      timeoutMs: 200,
      intervalMs: 50,
      clock: realWaitClock(() => performance.now()),
    }).catch((e: unknown) => e)) as HomelabError;
    expect(failure.code).toBe("k3s-join-timeout");
    expect(failure.message).toContain("has not registered yet");
  });
});
