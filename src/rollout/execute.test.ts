import { describe, expect, it } from "vitest";
import { HomelabError } from "../errors/index.js";
import type { AppliedNode, AppliedState } from "./applied-state.js";
import {
  executeRollout,
  quorumOf,
  type RollEffects,
  type RollStep,
  RollStopped,
  scaleDownRefusal,
} from "./execute.js";
import type { MachineFacts } from "./facts.js";
import { type DesiredNode, planRollout } from "./plan.js";

/**
 * The roll's order and its stops, against effects that only record what they are asked to do
 * (the real effects — Kubernetes API, SSH, OpenTofu — are exercised through the built CLI in
 * test/rollout/cli-roll.test.ts).
 */

const names = (servers: number, agents: number): DesiredNode[] => [
  ...Array.from({ length: servers }, (_, i) => ({
    name: `s${i + 1}`,
    role: "server" as const,
    index: i + 1,
    first: i === 0,
  })),
  ...Array.from({ length: agents }, (_, i) => ({
    name: `a${i + 1}`,
    role: "agent" as const,
    index: i + 1,
    first: false,
  })),
];

const facts = (name: string, generation: number, mode: string): MachineFacts => ({
  role: name.startsWith("s") ? "server" : "agent",
  ignitionVolume: `${name}-${mode}-${generation}.ign`,
  diskVolume: `${name}.qcow2`,
  diskBytes: 1,
  baseImage: "b",
  vcpu: 1,
  memoryKiB: 1,
  mac: "m",
  host: "default",
});

function rolloutOf(servers: number, agents: number, generation = 2, keep = servers) {
  const applied: AppliedState = {
    exists: true,
    nodes: new Map<string, AppliedNode>(
      names(servers, agents).map((node) => [
        node.name,
        {
          name: node.name,
          role: node.role,
          index: node.index,
          host: "default",
          block: undefined,
          missing: [],
          facts: facts(node.name, 1, node.first ? "bootstrap" : "join"),
        },
      ]),
    ),
    baseImages: [],
    artifactVolumes: [],
    blocks: [],
  };
  return planRollout({
    desired: names(keep, agents),
    applied,
    factsFor: (name, mode) => facts(name, generation, mode.kind),
    release: { kind: "none" },
  });
}

/** Effects that log every call; `failAt` makes one step of one node throw once. */
function recorder(options: { ready?: string[]; failAt?: [string, RollStep] } = {}) {
  const log: string[] = [];
  let failed = false;
  let current: string | undefined;
  const maybeFail = (step: RollStep, node: string | undefined) => {
    if (!failed && options.failAt && options.failAt[0] === node && options.failAt[1] === step) {
      failed = true;
      throw new HomelabError("drain-timeout", `injected failure at ${step}`);
    }
  };
  const effects: RollEffects = {
    step: async (target, step, _title, work) => {
      current = target?.name;
      maybeFail(step, target?.name);
      return work();
    },
    warn: (message) => log.push(`warn ${message}`),
    readyServers: async () => options.ready ?? ["s1", "s2", "s3"],
    snapshot: async (from) => {
      log.push(`snapshot ${from} for ${current}`);
      return { name: "snap", sha256: "f".repeat(64) };
    },
    prepareRestore: async (node) => void log.push(`prepare-restore ${node}`),
    outstandingRestore: async () => undefined,
    finishRestore: async (node) => void log.push(`finish-restore ${node}`),
    identity: async (node) => ({ uid: `uid-${node}`, bootId: `boot-${node}` }),
    drain: async (node) => void log.push(`drain ${node}`),
    remove: async (node) => void log.push(`remove ${node}`),
    apply: async (release) => {
      log.push(`apply [${release.join(",")}]`);
      return true;
    },
    upload: async (node) => void log.push(`upload ${node}`),
    waitReady: async (nodes) => void log.push(`ready ${nodes.join(",")}`),
    recordApplied: async (nodes) => void log.push(`record ${nodes.join(",")}`),
  };
  return { log, effects };
}

describe("executeRollout", () => {
  it("rolls 3 servers and 3 agents one node per step: agents, joining servers, the first server", async () => {
    const { log, effects } = recorder();
    await executeRollout(rolloutOf(3, 3), effects);
    const perNode = (node: string, server: boolean) => [
      ...(server ? [`snapshot ${node === "s1" ? "s2" : "s1"} for ${node}`] : []),
      `drain ${node}`,
      `remove ${node}`,
      `apply [${node}]`,
      `ready ${node}`,
      `record ${node}`,
    ];
    expect(log).toEqual([
      "apply []",
      ...perNode("a1", false),
      ...perNode("a2", false),
      ...perNode("a3", false),
      ...perNode("s2", true),
      ...perNode("s3", true),
      ...perNode("s1", true),
    ]);
  });

  it("rebuilds two agents per step with parallelAgents 2, servers still alone", async () => {
    const { log, effects } = recorder();
    await executeRollout(rolloutOf(2, 3), effects, { parallelAgents: 2 });
    expect(log.filter((line) => line.startsWith("apply"))).toEqual([
      "apply []",
      "apply [a1,a2]",
      "apply [a3]",
      "apply [s2]",
      "apply [s1]",
    ]);
  });

  it("puts servers first for a k3s upgrade", async () => {
    const { log, effects } = recorder();
    await executeRollout(rolloutOf(2, 1), effects, { serversFirst: true });
    expect(log.filter((line) => line.startsWith("apply"))).toEqual([
      "apply []",
      "apply [s2]",
      "apply [s1]",
      "apply [a1]",
    ]);
  });

  it("rebuilds the only server from its snapshot: no drain, no removal, upload, then every node Ready", async () => {
    const { log, effects } = recorder({ ready: ["s1"] });
    await executeRollout(rolloutOf(1, 2, 2), effects, { only: ["s1"] });
    expect(log).toEqual([
      "apply []",
      "snapshot s1 for s1",
      "prepare-restore s1",
      "apply [s1]",
      "upload s1",
      "ready s1,a1,a2",
      "finish-restore s1",
      "record s1",
    ]);
  });

  it.each<RollStep>(["snapshot", "drain", "remove", "apply", "ready"])(
    "a failure at %s stops the roll there, names node and step, and a second run finishes it",
    async (step) => {
      const { log, effects } = recorder({ failAt: ["s2", step] });
      const rollout = rolloutOf(3, 0);
      const error = await executeRollout(rollout, effects).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RollStopped);
      expect((error as RollStopped).node).toBe("s2");
      expect((error as RollStopped).step).toBe(step);
      expect((error as RollStopped).message).toMatch(/^the roll stopped at s2, step "/);
      expect((error as RollStopped).fix).toMatch(
        /Run `homelab apply` again to resume with s2. Still due after it: s3, s1./,
      );
      // Nothing of the next node was touched.
      expect(log.some((line) => line.includes("s3"))).toBe(false);
      // Resume: the same rollout (nothing was recorded as applied for s2) runs again to the end.
      log.length = 0;
      await executeRollout(rollout, effects);
      expect(log.filter((line) => line.startsWith("apply"))).toEqual([
        "apply []",
        "apply [s2]",
        "apply [s3]",
        "apply [s1]",
      ]);
    },
  );

  it("refuses to take a server down when the others are not Ready enough for etcd", async () => {
    const { log, effects } = recorder({ ready: ["s1"] });
    const error = await executeRollout(rolloutOf(3, 0), effects).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "quorum-at-risk", node: "s2", step: "quorum" });
    expect((error as Error).message).toContain("would leave 1 of 3 servers Ready (s1); etcd needs 2");
    expect(log).toEqual(["apply []"]);
  });

  it("refuses a server step when the Kubernetes API does not answer", async () => {
    const { effects } = recorder();
    const error = await executeRollout(rolloutOf(3, 0), {
      ...effects,
      readyServers: async () => undefined,
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "kubernetes-unreachable", step: "quorum" });
  });

  it("removes servers one at a time from the highest index, each after a snapshot, drain and Node removal", async () => {
    const { log, effects } = recorder({ ready: ["s1", "s2", "s3", "s4", "s5"] });
    await executeRollout(rolloutOf(5, 0, 1, 3), effects);
    expect(log.filter((line) => /^(apply|remove)/.test(line))).toEqual([
      "apply []",
      "remove s5",
      "apply [s5]",
      "remove s4",
      "apply [s4]",
    ]);
  });
});

describe("scaleDownRefusal", () => {
  it.each([
    [5, 2, true],
    [3, 2, false],
    [3, 1, false],
    [5, 3, false],
    [4, 2, true],
    [4, 3, false],
  ])("from %i to %i servers: refused %s", (from, to, refused) => {
    const refusal = scaleDownRefusal(rolloutOf(from, 0, 1, to), "environments/x.ts");
    expect(refusal !== undefined).toBe(refused);
    if (refusal)
      expect(refusal).toMatchObject({
        code: "quorum-at-risk",
        where: { file: "environments/x.ts", path: "servers.count" },
      });
  });

  it("knows etcd's majorities", () => {
    expect([1, 2, 3, 4, 5].map(quorumOf)).toEqual([1, 2, 2, 3, 3]);
  });
});
