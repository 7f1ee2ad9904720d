/** A host made of tables, for table-driven doctor tests: every probe answers from here. */
import type {
  DoctorContext,
  DoctorPlan,
  FileStat,
  HostProbes,
  LibvirtFacts,
} from "../../src/doctor/index.js";
import type { QemuAccount } from "../../src/doctor/qemu-user.js";
import { EnvironmentSchema } from "../../src/environment/schema.js";
import { HomelabError } from "../../src/errors/index.js";
import type { ProcessResult } from "../../src/libvirt/index.js";

export const dir = (mode: number, uid = 0, gid = 0, dev = 1): FileStat => ({
  kind: "directory",
  mode,
  uid,
  gid,
  dev,
});
export const file = (mode = 0o644, uid = 0, gid = 0): FileStat => ({ kind: "file", mode, uid, gid, dev: 1 });
export const ok = (stdout: string): ProcessResult => ({
  exitCode: 0,
  stdout,
  stderr: "",
  missing: false,
  timedOut: false,
});

export interface FakeHostSpec {
  readonly stats?: Record<string, FileStat>;
  readonly texts?: Record<string, string>;
  readonly programs?: Record<string, string>;
  readonly runs?: Record<string, ProcessResult>;
  readonly free?: Record<string, number>;
  readonly addresses?: { interface: string; address: string; prefix: number }[];
  readonly routes?: { interface: string; destination: string; prefix: number }[];
  /** Who runs doctor (default uid 1000). */
  readonly user?: { uid: number; gid: number };
}

export const PASSWD =
  "root:x:0:0:root:/root:/bin/bash\nlibvirt-qemu:x:64055:108:Libvirt Qemu,,,:/var/lib/libvirt:/usr/sbin/nologin\nqemu:x:977:977::/:/sbin/nologin\nme:x:1000:1000::/home/me:/bin/bash\n";
export const GROUP =
  "root:x:0:\nkvm:x:104:libvirt-qemu\nlibvirt-qemu:x:108:\nqemu:x:977:\nme:x:1000:\nlibvirt:x:109:me\n";

export function fakeHost(spec: FakeHostSpec = {}): HostProbes {
  const stats: Record<string, FileStat> = { "/": dir(0o755), ...spec.stats };
  const texts: Record<string, string> = { "/etc/passwd": PASSWD, "/etc/group": GROUP, ...spec.texts };
  return {
    run: async (program, args) => {
      const answer = spec.runs?.[[program, ...args].join(" ")];
      return (
        answer ?? {
          exitCode: 127,
          stdout: "",
          stderr: `${program}: not found`,
          missing: true,
          timedOut: false,
        }
      );
    },
    which: async (program) => spec.programs?.[program],
    stat: async (path) => stats[path],
    readText: async (path) => texts[path],
    freeBytes: async (path) => spec.free?.[path],
    interfaceAddresses: async () => spec.addresses ?? [{ interface: "lo", address: "127.0.0.1", prefix: 8 }],
    routes: async () => spec.routes ?? [],
    user: spec.user ?? { uid: 1000, gid: 1000 },
    home: "/home/me",
  };
}

export function plan(
  overrides: Record<string, unknown> = {},
  pool: DoctorPlan["pool"] = { name: "k3s-dev", path: "/var/lib/libvirt/homelab/k3s-dev", existing: false },
): DoctorPlan {
  const environment = EnvironmentSchema.parse({
    name: "development",
    prefix: "k3s-dev",
    network: { mode: "nat", cidr: "192.168.140.0/24" },
    servers: { count: 1, vcpu: 2, memoryMiB: 4096, diskGiB: 20 },
    agents: { count: 2, vcpu: 2, memoryMiB: 2048, diskGiB: 20 },
    ssh: { authorizedKeys: [] },
    ...overrides,
  });
  const network = environment.network;
  return {
    environment,
    pool,
    network: {
      mode: network.mode,
      cidr: network.cidr,
      networkAddress: network.cidr.split("/")[0] ?? "",
      prefixLength: Number(network.cidr.split("/")[1]),
      netmask: "255.255.255.0",
      gateway: "",
      dns: [],
      ...(network.mode === "nat"
        ? { libvirtNetworkName: "k3s-dev-net" }
        : { bridge: network.bridge ?? "br0" }),
      registrationAddress: network.cidr.replace(/\.0\/\d+$/, ".9"),
      dhcpRange:
        network.mode === "nat"
          ? {
              start: network.cidr.replace(/\.0\/\d+$/, ".100"),
              end: network.cidr.replace(/\.0\/\d+$/, ".199"),
            }
          : undefined,
      loadBalancerRange: { start: "", end: "" },
    },
    nodes: [20, 20, 20].map((diskGiB, index) => ({
      name: `n${index}`,
      role: "agent" as const,
      index,
      address: "",
      mac: "",
      vcpu: 1,
      memoryMiB: 1024,
      diskGiB,
      clusterInit: false,
      labels: [],
      taints: [],
      snippets: [],
    })),
  };
}

export const REACHABLE: LibvirtFacts = {
  reachability: { reachable: true, libvirtVersion: "10.0.0", hypervisor: "QEMU 8.2.0" },
  local: true,
  pools: [],
  networks: [],
  domainType: { supported: true, emulator: "/usr/bin/qemu-system-x86_64" },
};

export const UNREACHABLE: LibvirtFacts = {
  reachability: {
    reachable: false,
    error: new HomelabError(
      "libvirt-unreachable",
      "libvirt does not answer at qemu:///system: Failed to connect socket",
    ),
  },
  local: true,
  pools: undefined,
  networks: undefined,
  domainType: undefined,
};

export const LIBVIRT_QEMU: QemuAccount = {
  name: "libvirt-qemu",
  account: { name: "libvirt-qemu", uid: 64055, gids: [108, 104] },
  source: "the distribution's default",
};

export function context(overrides: Partial<DoctorContext> = {}): DoctorContext {
  return {
    plan: plan(),
    probes: fakeHost(),
    family: "debian",
    libvirt: REACHABLE,
    qemu: LIBVIRT_QEMU,
    image: { cacheDir: "/home/me/.cache/homelab/images/flatcar/stable/1.2.3", cached: false },
    ...overrides,
  };
}
