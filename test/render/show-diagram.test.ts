import { describe, expect, it } from "vitest";
import { drawEnvironment, hypervisorHost } from "../../src/cli/commands/show/diagram.js";
import {
  FLATCAR_SIGNING_KEY_FINGERPRINT,
  flatcarImageUrls,
  flatcarReleaseUrl,
} from "../../src/image/index.js";
import type { ResolvedVersions } from "../../src/render/index.js";
import { planFixture } from "../tofu/plan-fixture.js";

const versions: ResolvedVersions = {
  flatcar: {
    channel: "stable",
    version: "4757.2.1",
    image: {
      ...flatcarImageUrls(flatcarReleaseUrl("stable", "4757.2.1")),
      signingKeyFingerprint: FLATCAR_SIGNING_KEY_FINGERPRINT,
    },
  },
  k3s: { version: "v1.34.10+k3s1", binary: { url: "https://example.org/k3s", sha256: "0".repeat(64) } },
};

const plans = [
  ["one server, two agents", planFixture()],
  ["HA with a DNS domain", planFixture({ servers: 3, agents: 3, domain: "lab.home.arpa" })],
  ["a host bridge and an existing pool", planFixture({ mode: "bridge", existingPool: true, agents: 0 })],
  ["100 nodes", planFixture({ servers: 5, agents: 95, subnet: 150 })],
  ["three hosts", planFixture({ mode: "bridge", servers: 3, agents: 3, hosts: ["hv1", "hv2", "hv3"] })],
  [
    "three hosts, 100 nodes",
    planFixture({ mode: "bridge", servers: 5, agents: 95, subnet: 150, hosts: ["hv1", "hv2", "hv3"] }),
  ],
] as const;

const columns = (line: string) => [...line].length;

describe.each(plans)("homelab show: %s", (_name, plan) => {
  it.each([40, 60, 80, 120, 200])(
    "fits %i columns and shows every node with role, address and size",
    (width) => {
      for (const ascii of [false, true]) {
        const drawing = drawEnvironment(
          { plan, versions, environmentFile: "environments/lab.ts" },
          { width, ascii },
        );
        const lines = drawing.trimEnd().split("\n");
        for (const line of lines) expect(columns(line), line).toBeLessThanOrEqual(width);
        for (const node of plan.nodes) {
          expect(drawing).toContain(node.name);
          expect(drawing).toContain(node.address);
        }
        expect(drawing).toContain("k3s v1.34.10+k3s1");
        expect(drawing).toContain("Flatcar stable 4757.2.1");
        if (ascii) expect(drawing).toMatch(/^[\x20-\x7e\n]+$/);
        else expect(drawing).toContain("┌");
      }
    },
  );
});

describe("homelab show with several hosts", () => {
  const plan = planFixture({ mode: "bridge", servers: 3, agents: 2, hosts: ["hv1", "hv2", "hv3"] });
  it("draws one frame per host, in placement order, holding exactly that host's nodes", () => {
    const drawing = drawEnvironment(
      { plan, versions, environmentFile: "environments/lab.ts" },
      { width: 120, ascii: true },
    );
    const starts = plan.hosts.map((host) => drawing.indexOf(`+- ${host.name} - `));
    expect(starts.every((start) => start > 0)).toBe(true);
    expect([...starts].sort((a, b) => a - b)).toEqual(starts);
    expect(drawing).toContain("3 hosts");
    plan.hosts.forEach((host, index) => {
      const frame = drawing.slice(starts[index], starts[index + 1] ?? drawing.length);
      expect(frame).toContain(`libvirt - ${host.uri}`);
      for (const node of plan.nodes)
        expect(frame.includes(node.name), `${node.name} in ${host.name}`).toBe(node.host === host.name);
    });
  });
});

describe("hypervisorHost", () => {
  it.each([
    ["qemu:///system", "this machine"],
    ["qemu:///session", "this machine"],
    ["qemu+ssh://root@kvm1.lan/system", "kvm1.lan"],
    ["qemu+tcp://10.0.0.5:16509/system", "10.0.0.5"],
  ])("%s is %s", (uri, host) => expect(hypervisorHost(uri)).toBe(host));
});
