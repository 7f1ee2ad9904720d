// doctor on an environment with several hosts, on a table host: every host is checked over its
// own URI (reachable, KVM, pool, QEMU's confinement, bridge) with the host named in its lines;
// what belongs to the machine that runs homelab (OpenTofu, SSH keys, disk, provider) once.
import { describe, expect, it } from "vitest";
import { formatDoctorReport, runDoctor } from "../../src/doctor/index.js";
import { EnvironmentSchema } from "../../src/environment/schema.js";
import type { ProcessResult } from "../../src/libvirt/index.js";
import { planCluster } from "../../src/plan/index.js";
import { dir, fakeHost, ok } from "./fake-host.js";

const HV1 = "qemu+ssh://core@127.0.0.1/system";
const HV2 = "qemu+ssh://core@127.0.0.2/system";
const refused: ProcessResult = {
  exitCode: 1,
  stdout: "",
  stderr: "error: failed to connect to the hypervisor\nerror: Cannot recv data: Connection refused\n",
  missing: false,
  timedOut: false,
};

const plan = planCluster(
  EnvironmentSchema.parse({
    name: "lab",
    prefix: "lab",
    network: { mode: "bridge", bridge: "br0", cidr: "127.0.0.0/24", gateway: "127.0.0.254" },
    hosts: { hv1: { uri: HV1 }, hv2: { uri: HV2, bridge: "br-lan" } },
    servers: { count: 1 },
    agents: { count: 1 },
    ssh: { authorizedKeys: [] },
  }),
  { file: "environments/lab.ts" },
);

const PER_HOST = ["libvirt", "virtualization", "pool", "security-module", "network"];

describe("runDoctor with several hosts", () => {
  it.each([
    [
      "both hosts answer",
      ok("Compiled against library: libvirt 9.0.0\n"),
      ok("Compiled against library: libvirt 9.0.0\n"),
      [],
    ],
    ["hv2 does not answer", ok("Compiled against library: libvirt 9.0.0\n"), refused, ["hv2"]],
    ["neither answers", refused, refused, ["hv1", "hv2"]],
  ])("%s: one block of checks per host, each line naming its host", async (_name, hv1, hv2, down) => {
    const probes = fakeHost({
      programs: { tofu: "/usr/bin/tofu", ssh: "/usr/bin/ssh", "ssh-keygen": "/usr/bin/ssh-keygen" },
      runs: {
        "/usr/bin/tofu version -json": ok('{"terraform_version":"1.8.2"}'),
        [`virsh -q -c ${HV1} version`]: hv1,
        [`virsh -q -c ${HV2} version`]: hv2,
      },
      stats: { "/var": dir(0o755), "/var/lib": dir(0o755) },
    });
    const report = await runDoctor(plan, { probes, image: { cacheDir: "/home/me/.cache/x", cached: false } });
    expect(report.checks.map((check) => [check.id, check.host])).toEqual([
      ["tofu", undefined],
      ...PER_HOST.map((id) => [id, "hv1"]),
      ...PER_HOST.map((id) => [id, "hv2"]),
      ["ssh", undefined],
      ["disk-space", undefined],
      ["provider", undefined],
    ]);
    for (const check of report.checks.filter((c) => c.host))
      expect(check.summary.startsWith(`${check.host}: `)).toBe(true);
    const failedLibvirt = report.checks
      .filter((c) => c.id === "libvirt" && c.status === "failure")
      .map((c) => c.host);
    expect(failedLibvirt).toEqual(down);
    expect(report.hosts).toEqual([
      { name: "hv1", uri: HV1 },
      { name: "hv2", uri: HV2 },
    ]);
    const text = formatDoctorReport(report);
    expect(text.split("\n")[0]).toBe(`homelab doctor: lab (hv1 ${HV1}, hv2 ${HV2})`);
    for (const host of down) expect(text).toMatch(new RegExp(`✖ libvirt +${host}: `));
  });

  it("checks each local host's own bridge; a remote host's is not checked from here", async () => {
    const local = planCluster(
      EnvironmentSchema.parse({
        name: "lab",
        prefix: "lab",
        network: { mode: "bridge", bridge: "br0", cidr: "127.0.0.0/24", gateway: "127.0.0.254" },
        hosts: {
          hv1: { uri: "qemu:///system" },
          hv2: { uri: "qemu:///session", bridge: "br-lan" },
          hv3: { uri: HV2 },
        },
        servers: { count: 1 },
        agents: { count: 2 },
        ssh: { authorizedKeys: [] },
      }),
      { file: "environments/lab.ts" },
    );
    const probes = fakeHost({
      stats: { "/sys/class/net/br0": dir(0o755), "/sys/class/net/br0/bridge": dir(0o755) },
    });
    const report = await runDoctor(local, { probes, image: { cacheDir: "/c", cached: false } });
    const network = Object.fromEntries(
      report.checks.filter((check) => check.id === "network").map((check) => [check.host, check]),
    );
    expect(network.hv1?.status).toBe("ok");
    expect(network.hv2).toMatchObject({
      status: "failure",
      code: "network-bridge-missing",
      summary: "hv2: the host bridge br-lan does not exist",
    });
    expect(network.hv3).toMatchObject({ status: "ok", summary: expect.stringContaining("hv3: ") });
    expect(network.hv3?.summary).toContain("another host");
  });
});
