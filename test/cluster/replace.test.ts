/**
 * Replacing a node: the safety verdict (pure, table-driven) and the wait for the new machine
 * (real @kubernetes/client-node against a FAKE API server).
 */
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  connectClusterApi,
  realWaitClock,
  replaceVerdict,
  waitForReplacement,
} from "../../src/cluster/index.js";
import type { HomelabError } from "../../src/errors/index.js";
import { describeWithTools } from "../support/real-tools.js";
import { type FakeKubeApi, fakeNode, startFakeKubeApi } from "./fake-kube-api.js";

const server = (n: number, clusterInit = n === 1) => ({
  name: `s${n}`,
  role: "server" as const,
  clusterInit,
});
const agent = (n: number) => ({ name: `a${n}`, role: "agent" as const, clusterInit: false });

describe("replaceVerdict", () => {
  const cases: readonly {
    readonly name: string;
    readonly nodes: ReturnType<typeof server | typeof agent>[];
    readonly target: string;
    readonly ready: readonly string[] | undefined;
    readonly safe: boolean;
    readonly why?: RegExp;
  }[] = [
    { name: "an agent", nodes: [server(1), agent(1)], target: "a1", ready: undefined, safe: true },
    {
      name: "the only server",
      nodes: [server(1), agent(1)],
      target: "s1",
      ready: ["s1"],
      safe: false,
      why: /only server/,
    },
    {
      name: "the cluster-init server of three",
      nodes: [server(1), server(2), server(3)],
      target: "s1",
      ready: ["s1", "s2", "s3"],
      safe: false,
      why: /cluster-init server/,
    },
    {
      name: "a joined server of three, others Ready",
      nodes: [server(1), server(2), server(3)],
      target: "s2",
      ready: ["s1", "s2", "s3"],
      safe: true,
    },
    {
      name: "a joined server while another is down (quorum lost)",
      nodes: [server(1), server(2), server(3)],
      target: "s2",
      ready: ["s1", "s2"],
      safe: false,
      why: /1 of 3 servers would be Ready, fewer than etcd's quorum of 2/,
    },
    {
      name: "one of two servers (two-member etcd has no spare)",
      nodes: [server(1), server(2)],
      target: "s2",
      ready: ["s1", "s2"],
      safe: false,
      why: /quorum of 2/,
    },
    {
      name: "a joined server when the API cannot be asked",
      nodes: [server(1), server(2), server(3)],
      target: "s3",
      ready: undefined,
      safe: true,
    },
  ];
  for (const testCase of cases) {
    it(`${testCase.name}: ${testCase.safe ? "safe" : "refused"}`, () => {
      const verdict = replaceVerdict(testCase.nodes, testCase.target, testCase.ready);
      expect(verdict.safe).toBe(testCase.safe);
      if (!verdict.safe && testCase.why) expect(verdict.why).toMatch(testCase.why);
    });
  }
});

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
