import { describe, expect, it } from "vitest";
import { type EnvironmentInput, EnvironmentSchema } from "../environment/schema.js";
import { HomelabError } from "../errors/index.js";
import { planUpgrade, type UpgradeInputs, type UpgradeRequest } from "./plan.js";
import type { RunningNode } from "./running.js";

function environment(input: Partial<EnvironmentInput> = {}) {
  return EnvironmentSchema.parse({
    name: "lab",
    prefix: "k3s-lab",
    network: { cidr: "192.168.150.0/24" },
    ...input,
  } satisfies EnvironmentInput);
}

const node = (name: string, k3s: string | undefined, flatcar = "4757.2.1"): RunningNode => ({
  name,
  role: name.includes("server") ? "server" : "agent",
  k3s,
  source: k3s === undefined ? "unknown" : "applied-ignition",
  flatcar,
});

function inputs(
  request: Partial<UpgradeRequest>,
  overrides: Partial<Omit<UpgradeInputs, "request">> = {},
): UpgradeInputs {
  return {
    environment: environment(),
    environmentFile: "environments/lab.ts",
    lockFile: "homelab.lock.json",
    current: { k3s: "v1.34.10+k3s1", flatcar: "4757.2.1" },
    running: [node("k3s-lab-server-1", "v1.34.10+k3s1"), node("k3s-lab-agent-1", "v1.34.10+k3s1")],
    pins: {
      k3s: "v1.34.10+k3s1",
      flatcar: "4757.2.1",
      knownK3s: ["v1.33.5+k3s1", "v1.34.2+k3s1", "v1.34.10+k3s1"],
    },
    ...overrides,
    request: { allowDowngrade: false, ...request },
  };
}

function refusal(run: () => unknown): HomelabError {
  try {
    run();
  } catch (error) {
    if (error instanceof HomelabError) return error;
    throw error;
  }
  throw new Error("expected a refusal");
}

const ON_133 = {
  current: { k3s: "v1.33.5+k3s1", flatcar: "4757.2.1" },
  running: [node("k3s-lab-server-1", "v1.33.5+k3s1"), node("k3s-lab-agent-1", "v1.33.5+k3s1")],
};

describe("planUpgrade: k3s", () => {
  const ALLOWED: [
    string,
    Partial<UpgradeRequest>,
    Partial<Omit<UpgradeInputs, "request">>,
    string,
    string,
    boolean,
  ][] = [
    // name, request, inputs, k3s to, direction, servers first
    ["a patch release", { k3s: "v1.34.11+k3s1" }, {}, "v1.34.11+k3s1", "upgrade", true],
    ["the next minor", { k3s: "v1.35.1+k3s1" }, {}, "v1.35.1+k3s1", "upgrade", true],
    [
      "a new k3s build of the same Kubernetes",
      { k3s: "v1.34.10+k3s2" },
      {},
      "v1.34.10+k3s2",
      "upgrade",
      true,
    ],
    ["homelab's pin, from the previous minor", {}, ON_133, "v1.34.10+k3s1", "upgrade", true],
    ["the version it already runs", { k3s: "v1.34.10+k3s1" }, {}, "v1.34.10+k3s1", "none", false],
    [
      "a patch back, with --allow-downgrade: agents first",
      { k3s: "v1.34.2+k3s1", allowDowngrade: true },
      {},
      "v1.34.2+k3s1",
      "downgrade",
      false,
    ],
    [
      "resuming: the lock says 1.35 and a server is still on 1.34",
      {},
      {
        current: { k3s: "v1.35.1+k3s1", flatcar: "4757.2.1" },
        running: [node("k3s-lab-server-1", "v1.35.1+k3s1"), node("k3s-lab-server-2", "v1.34.10+k3s1")],
        pins: { k3s: "v1.34.10+k3s1", flatcar: "4757.2.1", knownK3s: [] },
      },
      "v1.35.1+k3s1",
      "upgrade",
      true,
    ],
    [
      "resuming although a pending node's version is unknown (the lock already holds the target): servers first",
      { k3s: "v1.35.1+k3s1" },
      {
        current: { k3s: "v1.35.1+k3s1", flatcar: "4757.2.1" },
        running: [node("k3s-lab-server-1", "v1.35.1+k3s1"), node("k3s-lab-agent-1", undefined)],
      },
      "v1.35.1+k3s1",
      "upgrade",
      true,
    ],
    [
      "a new environment: only the lock counts",
      { k3s: "v1.35.1+k3s1" },
      { running: [] },
      "v1.35.1+k3s1",
      "upgrade",
      true,
    ],
  ];

  it.each(ALLOWED)("allows %s", (_name, request, overrides, to, direction, serversFirst) => {
    const plan = planUpgrade(inputs(request, overrides));
    expect(plan.k3s).toMatchObject({ to, direction });
    expect(plan.serversFirst).toBe(serversFirst);
  });

  const REFUSED: [
    string,
    Partial<UpgradeRequest>,
    Partial<Omit<UpgradeInputs, "request">>,
    string,
    RegExp,
    RegExp,
  ][] = [
    // name, request, inputs, code, message, fix
    [
      "1.33 → 1.35, naming 1.34 and the release homelab knows",
      { k3s: "v1.35.1+k3s1" },
      ON_133,
      "upgrade-skips-minor",
      /v1\.33\.5\+k3s1 \(the lock file\) → v1\.35\.1\+k3s1 would skip Kubernetes 1\.34/,
      /upgrade to 1\.34 first, e\.g\. `homelab upgrade lab --k3s v1\.34\.10\+k3s1`, then to 1\.35/,
    ],
    [
      "1.33 → 1.36, naming both",
      { k3s: "v1.36.0+k3s1" },
      ON_133,
      "upgrade-skips-minor",
      /would skip Kubernetes 1\.34, 1\.35/,
      /upgrade to 1\.34 first/,
    ],
    [
      "a node left behind on 1.33 while the lock says 1.34",
      { k3s: "v1.35.1+k3s1" },
      { running: [node("k3s-lab-server-1", "v1.34.10+k3s1"), node("k3s-lab-agent-1", "v1.33.5+k3s1")] },
      "upgrade-skips-minor",
      /v1\.33\.5\+k3s1 \(k3s-lab-agent-1\)/,
      /one minor version at a time/,
    ],
    [
      "an unknown minor in between: pointed at k3s's releases",
      { k3s: "v1.36.0+k3s1" },
      {},
      "upgrade-skips-minor",
      /would skip Kubernetes 1\.35/,
      /github\.com\/k3s-io\/k3s\/releases/,
    ],
    [
      "far ahead: the skipped minors as a range, not a list",
      { k3s: "v1.99.0+k3s1" },
      {},
      "upgrade-skips-minor",
      /would skip Kubernetes 1\.35 to 1\.98 \(64 minor versions\)$/,
      /upgrade to 1\.35 first/,
    ],
    [
      "a patch back without --allow-downgrade",
      { k3s: "v1.34.2+k3s1" },
      {},
      "upgrade-downgrade",
      /v1\.34\.2\+k3s1 is older than v1\.34\.10\+k3s1/,
      /--allow-downgrade/,
    ],
    [
      "two minors back, even with --allow-downgrade",
      { k3s: "v1.32.9+k3s1", allowDowngrade: true },
      {},
      "upgrade-skips-minor",
      /would skip Kubernetes 1\.33/,
      /go back to 1\.33 first/,
    ],
    [
      "another major version",
      { k3s: "v2.0.0+k3s1" },
      {},
      "upgrade-skips-minor",
      /another major version/,
      /minor versions only/,
    ],
    [
      "a malformed version",
      { k3s: "1.35" },
      {},
      "upgrade-version-unknown",
      /"1\.35" is not a k3s version/,
      /v1\.35\.1\+k3s1/,
    ],
    [
      "a version the environment file pins otherwise",
      { k3s: "v1.35.1+k3s1" },
      { environment: environment({ k3s: { version: "v1.34.10+k3s1" } }) },
      "upgrade-pinned",
      /pins k3s\.version to v1\.34\.10\+k3s1/,
      /Remove k3s\.version/,
    ],
    [
      "moving on while a pending node's version is unknown",
      { k3s: "v1.35.1+k3s1" },
      { running: [node("k3s-lab-server-1", "v1.34.10+k3s1"), node("k3s-lab-agent-1", undefined)] },
      "upgrade-roll-pending",
      /k3s-lab-agent-1 is still due for a rebuild/,
      /homelab upgrade lab --k3s v1\.34\.10\+k3s1` resumes it/,
    ],
  ];

  it.each(REFUSED)("refuses %s", (_name, request, overrides, code, message, fix) => {
    const error = refusal(() => planUpgrade(inputs(request, overrides)));
    expect(error.code).toBe(code);
    expect(error.message).toMatch(message);
    expect(error.fix).toMatch(fix);
  });

  it("keeps a k3s the environment file pins, or one newer than homelab's pin, when no version is asked for", () => {
    const pinned = planUpgrade(
      inputs(
        {},
        {
          environment: environment({ k3s: { version: "v1.34.10+k3s1" } }),
          pins: { k3s: "v1.35.1+k3s1", flatcar: "4757.2.1", knownK3s: [] },
        },
      ),
    );
    expect(pinned.k3s.direction).toBe("none");
    expect(pinned.notes.join("\n")).toMatch(/pins it \(k3s\.version\)/);
    const newer = planUpgrade(
      inputs(
        {},
        {
          current: { k3s: "v1.35.1+k3s1", flatcar: "4757.2.1" },
          running: [node("k3s-lab-server-1", "v1.35.1+k3s1")],
        },
      ),
    );
    expect(newer.k3s).toEqual({ from: "v1.35.1+k3s1", to: "v1.35.1+k3s1", direction: "none" });
    expect(newer.notes.join("\n")).toMatch(/newer than homelab's pin/);
  });
});

describe("planUpgrade: Flatcar", () => {
  it.each([
    ["a newer release", { flatcar: "4802.1.0" }, {}, "4802.1.0", "upgrade"],
    ["the release it has", { flatcar: "4757.2.1" }, {}, "4757.2.1", "none"],
    [
      "an older one with --allow-downgrade",
      { flatcar: "4593.1.0", allowDowngrade: true },
      {},
      "4593.1.0",
      "downgrade",
    ],
    [
      "homelab's pin",
      {},
      {
        current: { k3s: "v1.34.10+k3s1", flatcar: "4593.1.0" },
        running: [node("k3s-lab-server-1", "v1.34.10+k3s1", "4593.1.0")],
      },
      "4757.2.1",
      "upgrade",
    ],
  ] as [string, Partial<UpgradeRequest>, Partial<Omit<UpgradeInputs, "request">>, string, string][])(
    "allows %s",
    (_name, request, overrides, to, direction) => {
      const plan = planUpgrade(inputs(request, overrides));
      expect(plan.flatcar).toMatchObject({ to, direction });
      // Flatcar alone never reorders the roll.
      expect(plan.serversFirst).toBe(false);
    },
  );

  it.each([
    [
      "an older release",
      { flatcar: "4593.1.0" },
      {},
      "upgrade-downgrade",
      /4593\.1\.0 is older than 4757\.2\.1/,
    ],
    [
      "older than what a node was built from",
      { flatcar: "4757.2.1" },
      { running: [node("k3s-lab-server-1", "v1.34.10+k3s1", "4802.1.0")] },
      "upgrade-downgrade",
      /older than 4802\.1\.0 \(k3s-lab-server-1\)/,
    ],
    [
      "a malformed release",
      { flatcar: "stable" },
      {},
      "upgrade-version-unknown",
      /"stable" is not a Flatcar version/,
    ],
    [
      "a release the environment file pins otherwise",
      { flatcar: "4802.1.0" },
      { environment: environment({ flatcar: { channel: "stable", version: "4757.2.1" } }) },
      "upgrade-pinned",
      /pins flatcar\.version to 4757\.2\.1/,
    ],
  ] as [string, Partial<UpgradeRequest>, Partial<Omit<UpgradeInputs, "request">>, string, RegExp][])(
    "refuses %s",
    (_name, request, overrides, code, message) => {
      const error = refusal(() => planUpgrade(inputs(request, overrides)));
      expect(error.code).toBe(code);
      expect(error.message).toMatch(message);
    },
  );

  it("upgrades both at once: servers first for the k3s change", () => {
    const plan = planUpgrade(inputs({ k3s: "v1.35.1+k3s1", flatcar: "4802.1.0" }));
    expect(plan.k3s.direction).toBe("upgrade");
    expect(plan.flatcar.direction).toBe("upgrade");
    expect(plan.serversFirst).toBe(true);
  });
});
