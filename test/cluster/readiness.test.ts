import { describe, expect, it } from "vitest";
import { describeReadiness, evaluateReadiness, nodeView } from "../../src/cluster/index.js";
import { fakeNode } from "./fake-kube-api.js";

describe("nodeView", () => {
  const cases = [
    { ready: "True", readiness: "Ready", reason: undefined },
    { ready: "False", readiness: "NotReady", reason: "KubeletNotReady" },
    { ready: "Unknown", readiness: "unknown", reason: "kubelet stopped reporting (KubeletNotReady)" },
    { ready: undefined, readiness: "unknown", reason: "no Ready condition reported yet" },
  ] as const;
  for (const testCase of cases) {
    it(`Ready=${testCase.ready ?? "(none)"} → ${testCase.readiness}`, () => {
      const view = nodeView(fakeNode("k3s-dev-agent-1", testCase.ready));
      expect(view.readiness).toBe(testCase.readiness);
      expect(view.reason).toBe(testCase.reason);
      expect(view.kubeletVersion).toBe("v1.34.2+k3s1");
      expect(view.osImage).toMatch(/^Flatcar Container Linux/);
    });
  }
});

describe("evaluateReadiness", () => {
  const expected = ["k3s-dev-server-1", "k3s-dev-agent-1"];
  it("is done when every expected node is Ready, ignoring nodes it does not expect", () => {
    const report = evaluateReadiness(expected, [
      fakeNode("k3s-dev-server-1", "True"),
      fakeNode("k3s-dev-agent-1", "True"),
      fakeNode("stray", "False"),
    ]);
    expect(report).toEqual({ done: true, ready: expected, waiting: [] });
    expect(describeReadiness(report)).toBe("2/2 Ready");
  });

  it("waits for nodes that are missing or not Ready, saying why", () => {
    const report = evaluateReadiness(expected, [fakeNode("k3s-dev-server-1", "False")]);
    expect(report.done).toBe(false);
    expect(describeReadiness(report)).toBe(
      "0/2 Ready; waiting for k3s-dev-server-1 (KubeletNotReady), k3s-dev-agent-1 (not registered yet)",
    );
  });

  const identities = [
    {
      name: "same boot ID, new uid (re-registered by the old kubelet)",
      node: { uid: "new", bootID: "old-boot" },
      done: false,
    },
    {
      name: "new boot ID, same uid (new machine took over the object)",
      node: { uid: "old-uid", bootID: "new-boot" },
      done: true,
    },
    { name: "new boot ID and uid", node: { uid: "new", bootID: "new-boot" }, done: true },
  ];
  for (const testCase of identities) {
    it(`a replaced node counts only as a new machine: ${testCase.name}`, () => {
      const replaced = new Map([["k3s-dev-agent-1", { uid: "old-uid", bootId: "old-boot" }]]);
      const report = evaluateReadiness(
        ["k3s-dev-agent-1"],
        [fakeNode("k3s-dev-agent-1", "True", testCase.node)],
        replaced,
      );
      expect(report.done).toBe(testCase.done);
      if (!testCase.done) expect(report.waiting[0]?.why).toBe("still the old machine's Node object");
    });
  }
});
