import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { ARTIFACT_LIST_PATH, artifactList } from "../artifacts/node-install.js";
import type { MachineFacts, NodeChange, Rollout, RolloutNode } from "../rollout/index.js";
import { k3sVersionOfIgnition, runningNodes } from "./running.js";

const facts = (baseImage = "stable-4757.2.1"): MachineFacts => ({
  role: "server",
  ignitionVolume: "x-ignition-0123",
  diskVolume: "x-disk",
  diskBytes: 1,
  baseImage,
  vcpu: 2,
  memoryKiB: 1024,
  mac: "52:54:00:00:00:01",
  host: "default",
});

function rolloutNode(
  name: string,
  change: NodeChange,
  applied: MachineFacts | undefined = facts(),
): RolloutNode {
  return {
    name,
    role: name.includes("server") ? "server" : "agent",
    index: 1,
    first: name.endsWith("server-1"),
    change,
    applied,
    current: undefined,
    next: undefined,
    blocked: undefined,
  };
}

function rollout(nodes: RolloutNode[]): Rollout {
  return { nodes, order: [], released: [], emitted: [] };
}

/** An Ignition config installing k3s from `url` with `sha256`, as the node templates write it. */
function ignition(url: string, sha256: string): string {
  return JSON.stringify({
    ignition: { version: "3.3.0" },
    storage: {
      files: [
        { path: "/etc/hostname", contents: { source: "data:,x" } },
        { path: "/opt/bin/k3s", contents: { source: url, verification: { hash: `sha256-${sha256}` } } },
      ],
    },
  });
}

/** A node that installs k3s from the artifact volume: no /opt/bin/k3s file, its hash in the list. */
function artifactIgnition(sha256: string, gzip: boolean): string {
  const list = artifactList([
    {
      entry: "k3s",
      mode: 0o755,
      sha256,
      target: "/opt/bin/k3s",
      installOn: "every-node",
      title: "k3s",
      recordedAt: {},
    },
  ]);
  const contents = gzip
    ? { compression: "gzip", source: `data:;base64,${gzipSync(list).toString("base64")}` }
    : { source: `data:,${encodeURIComponent(list)}` };
  return JSON.stringify({
    ignition: { version: "3.3.0" },
    storage: { files: [{ path: ARTIFACT_LIST_PATH, contents }] },
  });
}

const RELEASE = (version: string) =>
  `https://github.com/k3s-io/k3s/releases/download/${encodeURIComponent(version)}/k3s`;
const KNOWN = new Map([["a".repeat(64), "v1.34.10+k3s1"]]);

describe("k3sVersionOfIgnition", () => {
  it.each([
    ["a known binary, by its hash", ignition("http://127.0.0.1:1/k3s", "a".repeat(64)), "v1.34.10+k3s1"],
    [
      "an unknown binary, by its release URL",
      ignition(RELEASE("v1.33.5+k3s1"), "b".repeat(64)),
      "v1.33.5+k3s1",
    ],
    ["neither", ignition("http://127.0.0.1:1/k3s", "b".repeat(64)), undefined],
    ["not JSON", "{", undefined],
    ["no k3s file", JSON.stringify({ storage: { files: [] } }), undefined],
    [
      "k3s from the artifact volume, by the hash in its list",
      artifactIgnition("a".repeat(64), false),
      "v1.34.10+k3s1",
    ],
    ["the same list gzip-compressed", artifactIgnition("a".repeat(64), true), "v1.34.10+k3s1"],
    ["an unknown binary in the list", artifactIgnition("b".repeat(64), false), undefined],
  ])("%s", (_name, text, expected) => {
    expect(k3sVersionOfIgnition(text, KNOWN)).toBe(expected);
  });
});

describe("runningNodes", () => {
  it("reads applied Ignition first, trusts the current render for nodes it leaves alone, else says unknown", () => {
    const nodes = runningNodes({
      rollout: rollout([
        rolloutNode("k3s-lab-server-1", { kind: "unchanged" }),
        rolloutNode(
          "k3s-lab-server-2",
          { kind: "replace", causes: [{ kind: "ignition" }] },
          facts("stable-4593.1.0"),
        ),
        rolloutNode("k3s-lab-agent-1", { kind: "replace", causes: [{ kind: "ignition" }] }),
        rolloutNode("k3s-lab-agent-2", { kind: "in-place", changes: [] }),
        rolloutNode("k3s-lab-agent-3", { kind: "create" }, undefined),
        rolloutNode("k3s-lab-agent-4", { kind: "destroy" }),
      ]),
      currentK3s: "v1.34.10+k3s1",
      appliedIgnition: new Map([["k3s-lab-server-2", ignition(RELEASE("v1.33.5+k3s1"), "c".repeat(64))]]),
      versionsBySha256: KNOWN,
    });
    expect(nodes.map(({ name, k3s, source, flatcar }) => [name, k3s, source, flatcar])).toEqual([
      ["k3s-lab-server-1", "v1.34.10+k3s1", "current-render", "4757.2.1"],
      ["k3s-lab-server-2", "v1.33.5+k3s1", "applied-ignition", "4593.1.0"],
      ["k3s-lab-agent-1", undefined, "unknown", "4757.2.1"],
      ["k3s-lab-agent-2", "v1.34.10+k3s1", "current-render", "4757.2.1"],
      // A node about to be removed still runs until its step: its version counts.
      ["k3s-lab-agent-4", undefined, "unknown", "4757.2.1"],
    ]);
  });
});
