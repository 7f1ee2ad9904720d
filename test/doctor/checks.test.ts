// Every branch of every host check, table-driven, on hosts made of tables (fake-host.ts).
import { describe, expect, it } from "vitest";
import { checkDiskSpace } from "../../src/doctor/checks/disk-space.js";
import { checkDnsmasq } from "../../src/doctor/checks/dnsmasq.js";
import { checkLibvirt } from "../../src/doctor/checks/libvirt.js";
import { checkNetwork } from "../../src/doctor/checks/network.js";
import { checkPool } from "../../src/doctor/checks/pool.js";
import { checkSecurityModule } from "../../src/doctor/checks/security-module.js";
import { checkSsh } from "../../src/doctor/checks/ssh.js";
import { checkTofu, compareVersions, parseTofuVersion } from "../../src/doctor/checks/tofu.js";
import { checkVirtualization } from "../../src/doctor/checks/virtualization.js";
import { distroFamily, parseOsRelease } from "../../src/doctor/os-release.js";
import {
  lookupAccount,
  mayTraverse,
  parseQemuConfSecurityDriver,
  parseQemuConfUser,
  resolveQemuAccount,
} from "../../src/doctor/qemu-user.js";
import type { CheckResult } from "../../src/doctor/types.js";
import { HomelabError } from "../../src/errors/index.js";
import {
  context,
  dir,
  fakeHost,
  file,
  GROUP,
  LIBVIRT_QEMU,
  ok,
  PASSWD,
  plan,
  REACHABLE,
  UNREACHABLE,
} from "./fake-host.js";

const GiB = 1024 ** 3;
const brief = (result: CheckResult) => ({ status: result.status, code: result.code });

describe("tofu", () => {
  const version = (v: string) => ok(JSON.stringify({ terraform_version: v, platform: "linux_amd64" }));
  it.each([
    ["nothing installed", {}, {}, "failure", "tofu-not-found", /neither OpenTofu/],
    [
      "OpenTofu 1.8.2",
      { tofu: "/usr/bin/tofu" },
      { "/usr/bin/tofu version -json": version("1.8.2") },
      "ok",
      undefined,
      /OpenTofu 1\.8\.2/,
    ],
    [
      "OpenTofu 1.5.7 is too old",
      { tofu: "/usr/bin/tofu" },
      { "/usr/bin/tofu version -json": version("1.5.7") },
      "failure",
      "tofu-too-old",
      /older than 1\.6\.0/,
    ],
    [
      "Terraform 1.11.4",
      { terraform: "/usr/local/bin/terraform" },
      { "/usr/local/bin/terraform version -json": version("1.11.4") },
      "ok",
      undefined,
      /Terraform 1\.11\.4/,
    ],
    [
      "Terraform 1.4.6 is too old",
      { terraform: "/t" },
      { "/t version -json": version("1.4.6") },
      "failure",
      "tofu-too-old",
      /1\.5\.0/,
    ],
    [
      "tofu preferred over terraform",
      { tofu: "/a/tofu", terraform: "/b/terraform" },
      { "/a/tofu version -json": version("1.9.0") },
      "ok",
      undefined,
      /OpenTofu 1\.9\.0/,
    ],
    [
      "version unreadable",
      { tofu: "/x/tofu" },
      {
        "/x/tofu version -json": { exitCode: 1, stdout: "", stderr: "boom", missing: false, timedOut: false },
      },
      "warning",
      "tofu-too-old",
      /did not report/,
    ],
  ])("%s", async (_name, programs, runs, status, code, summary) => {
    const result = await checkTofu(fakeHost({ programs, runs }));
    expect(brief(result)).toEqual({ status, code });
    expect(result.summary).toMatch(summary);
  });

  it("gives install commands for every distribution when missing", async () => {
    const result = await checkTofu(fakeHost());
    expect(result.fix?.commands?.arch).toEqual(["sudo pacman -S --needed opentofu"]);
    expect(result.fix?.commands?.fedora).toEqual(["sudo dnf install opentofu"]);
    expect(result.fix?.commands?.debian).toEqual([
      "# first add OpenTofu's apt repository (https://opentofu.org/docs/intro/install/deb/)",
      "sudo apt install tofu",
    ]);
    expect(result.summary).toBe(
      "neither OpenTofu (tofu) nor Terraform (terraform) was found in PATH or /usr/local/sbin, /usr/local/bin, /usr/sbin, /usr/bin, /sbin, /bin",
    );
  });

  it.each([
    ['{"terraform_version":"1.11.4"}', "1.11.4"],
    ["OpenTofu v1.6.0-rc1\non linux_amd64", "1.6.0-rc1"],
    ["Terraform v1.5.7", "1.5.7"],
    ["garbage", undefined],
  ])("parses %j", (stdout, expected) => expect(parseTofuVersion(stdout)).toBe(expected));

  it.each([
    ["1.6.0", "1.6.0", 0],
    ["1.10.0", "1.9.9", 1],
    ["1.6.0-rc1", "1.6.0", -1],
    ["v2.0", "1.99.99", 1],
  ])("compareVersions(%s, %s) = %d", (a, b, expected) => expect(compareVersions(a, b)).toBe(expected));
});

describe("libvirt", () => {
  it.each([
    ["reachable", REACHABLE, "ok", undefined, /libvirt 10\.0\.0, QEMU 8\.2\.0/],
    ["daemon stopped", UNREACHABLE, "failure", "libvirt-unreachable", /Failed to connect socket/],
    [
      "permission",
      {
        ...UNREACHABLE,
        reachability: {
          reachable: false as const,
          error: new HomelabError("libvirt-permission-denied", "refused"),
        },
      },
      "failure",
      "libvirt-permission-denied",
      /refused/,
    ],
  ])("%s", (_name, libvirt, status, code, summary) => {
    const result = checkLibvirt(context({ libvirt }));
    expect(brief(result)).toEqual({ status, code });
    expect(result.summary).toMatch(summary);
  });

  it("tells how to start and install libvirt per distribution", () => {
    const result = checkLibvirt(context({ libvirt: UNREACHABLE }));
    expect(result.fix?.commands?.arch).toEqual([
      "sudo pacman -S --needed libvirt qemu-base dnsmasq",
      "sudo systemctl enable --now libvirtd",
    ]);
    expect(result.fix?.commands?.debian?.[0]).toMatch(/^sudo apt install libvirt-daemon-system/);
    expect(result.fix?.commands?.fedora?.[0]).toMatch(/^sudo dnf install libvirt-daemon-kvm/);
  });

  it("tells how to join the libvirt group on a permission error", () => {
    const libvirt = {
      ...UNREACHABLE,
      reachability: { reachable: false as const, error: new HomelabError("libvirt-permission-denied", "x") },
    };
    expect(checkLibvirt(context({ libvirt })).fix?.commands?.debian).toEqual([
      "sudo usermod -aG libvirt $USER",
    ]);
  });
});

describe("QEMU/KVM", () => {
  const kvm = { "/dev/kvm": { kind: "char-device" as const, mode: 0o660, uid: 0, gid: 104, dev: 5 } };
  const qemu = { "qemu-system-x86_64": "/usr/bin/qemu-system-x86_64" };
  it.each([
    ["libvirt supports kvm", {}, REACHABLE, {}, "ok", undefined, /KVM guests supported/],
    [
      "libvirt refuses kvm, no /dev/kvm",
      { programs: qemu },
      { ...REACHABLE, domainType: { supported: false as const, reason: "accel 'kvm' is not supported" } },
      {},
      "failure",
      "kvm-unavailable",
      /\/dev\/kvm does not exist/,
    ],
    [
      "libvirt refuses kvm, /dev/kvm present",
      { programs: qemu, stats: kvm },
      { ...REACHABLE, domainType: { supported: false as const, reason: "no" } },
      {},
      "failure",
      "kvm-unavailable",
      /libvirt cannot use KVM/,
    ],
    [
      "no QEMU at all",
      {},
      { ...REACHABLE, domainType: { supported: false as const, reason: "no emulator" } },
      {},
      "failure",
      "qemu-missing",
      /QEMU for x86_64/,
    ],
    ["TCG by choice", {}, REACHABLE, { machine: { type: "qemu" } }, "ok", undefined, /TCG/],
    [
      "libvirt down, files fine",
      { programs: qemu, stats: kvm },
      UNREACHABLE,
      {},
      "warning",
      undefined,
      /libvirt could not be asked/,
    ],
    [
      "libvirt down, no /dev/kvm",
      { programs: qemu },
      UNREACHABLE,
      {},
      "failure",
      "kvm-unavailable",
      /does not exist/,
    ],
    [
      "Fedora's qemu-kvm in libexec",
      {
        stats: {
          ...kvm,
          "/usr/libexec/qemu-kvm": { kind: "file" as const, mode: 0o755, uid: 0, gid: 0, dev: 1 },
        },
      },
      UNREACHABLE,
      {},
      "warning",
      undefined,
      /\/usr\/libexec\/qemu-kvm/,
    ],
  ])("%s", async (_name, host, libvirt, environment, status, code, summary) => {
    const result = await checkVirtualization(
      context({ probes: fakeHost(host), libvirt, plan: plan(environment) }),
    );
    expect(brief(result)).toEqual({ status, code });
    expect(result.summary).toMatch(summary);
  });

  it("offers machine.type qemu as the way out of missing KVM", async () => {
    const result = await checkVirtualization(
      context({ libvirt: UNREACHABLE, probes: fakeHost({ programs: { "qemu-kvm": "/usr/bin/qemu-kvm" } }) }),
    );
    expect(result.fix?.text).toMatch(/type: "qemu"/);
  });
});

describe("storage pool", () => {
  const libvirtTree = { "/var": dir(0o755), "/var/lib": dir(0o755), "/var/lib/libvirt": dir(0o755) };
  const defaultPool = { name: "default", active: true, type: "dir", targetPath: "/var/lib/libvirt/images" };
  const ours = { name: "k3s-dev", path: "/var/lib/libvirt/homelab/k3s-dev", existing: false };
  it.each([
    [
      "created under /var/lib/libvirt",
      ours,
      libvirtTree,
      REACHABLE,
      "ok",
      undefined,
      /will be created at .* \(\/var\/lib\/libvirt exists and libvirt-qemu can traverse it\)/,
    ],
    [
      "another pool on the same directory",
      { ...ours, path: "/var/lib/libvirt/images" },
      libvirtTree,
      { ...REACHABLE, pools: [defaultPool] },
      "failure",
      "pool-conflict",
      /pool "default" already uses \/var\/lib\/libvirt\/images/,
    ],
    [
      "same directory with a trailing slash",
      { ...ours, path: "/var/lib/libvirt/images/" },
      libvirtTree,
      { ...REACHABLE, pools: [defaultPool] },
      "failure",
      "pool-conflict",
      /already uses/,
    ],
    [
      "our pool name elsewhere",
      ours,
      libvirtTree,
      { ...REACHABLE, pools: [{ name: "k3s-dev", active: true, type: "dir", targetPath: "/srv/old" }] },
      "failure",
      "pool-conflict",
      /already exists at \/srv\/old/,
    ],
    [
      "our pool from an earlier up",
      ours,
      {
        ...libvirtTree,
        "/var/lib/libvirt/homelab": dir(0o755),
        "/var/lib/libvirt/homelab/k3s-dev": dir(0o711),
      },
      { ...REACHABLE, pools: [{ name: "k3s-dev", active: true, type: "dir", targetPath: ours.path }] },
      "ok",
      undefined,
      /libvirt-qemu can reach it/,
    ],
    [
      "home directory 0700",
      { ...ours, path: "/home/me/vms" },
      { "/home": dir(0o755), "/home/me": dir(0o700, 1000, 1000), "/home/me/vms": dir(0o755, 1000, 1000) },
      REACHABLE,
      "failure",
      "pool-path-not-traversable",
      /cannot traverse \/home\/me \(drwx------ uid 1000 gid 1000\)/,
    ],
    [
      "group-traversable through kvm",
      { ...ours, path: "/srv/vms" },
      { "/srv": dir(0o710, 0, 104) },
      REACHABLE,
      "ok",
      undefined,
      /will be created/,
    ],
    [
      "a parent that is a file",
      { ...ours, path: "/srv/file/pool" },
      { "/srv": dir(0o755), "/srv/file": file() },
      REACHABLE,
      "failure",
      "pool-path-missing",
      /\/srv\/file is not a directory/,
    ],
    [
      "parents missing too: libvirt creates them",
      { ...ours, path: "/data/a/b/pool" },
      {},
      REACHABLE,
      "ok",
      undefined,
      /will be created at \/data\/a\/b\/pool \(\/ exists/,
    ],
    [
      "existing pool not defined",
      { name: "default", existing: true },
      libvirtTree,
      REACHABLE,
      "failure",
      "pool-path-missing",
      /no storage pool named "default"/,
    ],
    [
      "existing pool whose directory is gone",
      { name: "default", existing: true },
      libvirtTree,
      { ...REACHABLE, pools: [defaultPool] },
      "failure",
      "pool-path-missing",
      /does not exist/,
    ],
    [
      "existing pool, inactive",
      { name: "default", existing: true },
      { ...libvirtTree, "/var/lib/libvirt/images": dir(0o711) },
      { ...REACHABLE, pools: [{ ...defaultPool, active: false }] },
      "warning",
      undefined,
      /can reach it/,
    ],
    ["libvirt down: paths still checked", ours, libvirtTree, UNREACHABLE, "ok", undefined, /will be created/],
    ["remote URI", ours, {}, { ...REACHABLE, local: false }, "warning", undefined, /remote libvirt host/],
  ])("%s", async (_name, pool, stats, libvirt, status, code, summary) => {
    const result = await checkPool(context({ plan: plan({}, pool), probes: fakeHost({ stats }), libvirt }));
    expect(brief(result)).toEqual({ status, code });
    expect(result.summary).toMatch(summary);
  });

  it("fixes a blocked directory with an ACL for the QEMU user", async () => {
    const result = await checkPool(
      context({
        plan: plan({}, { name: "p", path: "/home/me/vms", existing: false }),
        probes: fakeHost({ stats: { "/home": dir(0o755), "/home/me": dir(0o750, 1000, 1000) } }),
      }),
    );
    expect(result.fix?.commands?.debian?.[0]).toMatch(/^sudo setfacl -m u:libvirt-qemu:x \/home\/me/);
  });

  it("says so when the QEMU user does not exist", async () => {
    const result = await checkPool(
      context({ qemu: { name: "qemu", account: undefined, source: "the distribution's default" } }),
    );
    expect(result.status).toBe("warning");
    expect(result.summary).toMatch(/QEMU user "qemu"/);
  });
});

describe("QEMU user and permissions", () => {
  it.each([
    ['user = "qemu"\n', "qemu"],
    ['#user = "root"\n', undefined],
    ['  user = "+0"\ngroup = "kvm"', "+0"],
  ])("qemu.conf %j → %s", (text, user) => expect(parseQemuConfUser(text)).toBe(user));

  it.each([
    ['security_driver = "none"', "none"],
    ['security_driver = [ "selinux" ]', "selinux"],
    ['#security_driver = "none"', undefined],
  ])("security_driver %j → %s", (text, driver) => expect(parseQemuConfSecurityDriver(text)).toBe(driver));

  it("collects primary and supplementary groups", () => {
    expect(lookupAccount(PASSWD, GROUP, "libvirt-qemu")).toEqual({
      name: "libvirt-qemu",
      uid: 64055,
      gids: [108, 104],
    });
    expect(lookupAccount(PASSWD, GROUP, "+0")).toEqual({ name: "root", uid: 0, gids: [0] });
    expect(lookupAccount(PASSWD, GROUP, "nobody-here")).toBeUndefined();
  });

  it.each([
    ["other x", dir(0o701), true],
    ["no bits for others", dir(0o770), false],
    ["group x via kvm", dir(0o710, 0, 104), true],
    ["owner without x", dir(0o601, 64055, 0), false], // owner bits win even when others may
  ])("mayTraverse: %s", (_name, stat, allowed) => {
    expect(mayTraverse(LIBVIRT_QEMU.account ?? { name: "", uid: 1, gids: [] }, stat)).toBe(allowed);
  });

  it.each([
    [
      "qemu.conf wins",
      { "/etc/libvirt/qemu.conf": 'user = "qemu"\n' },
      "debian",
      "qemu:///system",
      "qemu",
      /qemu\.conf/,
    ],
    ["Debian default", {}, "debian", "qemu:///system", "libvirt-qemu", /default/],
    ["Arch default", {}, "arch", "qemu:///system", "qemu", /default/],
    ["Fedora default", {}, "fedora", "qemu:///system", "qemu", /default/],
    ["unknown distribution: whoever exists", {}, undefined, "qemu:///system", "libvirt-qemu", /passwd/],
    ["session URI: the caller", {}, "arch", "qemu:///session", "me", /session/],
  ] as const)("%s", async (_name, texts, family, uri, name, source) => {
    const account = await resolveQemuAccount(fakeHost({ texts }), family, uri);
    expect(account.name).toBe(name);
    expect(account.source).toMatch(source);
  });
});

describe("AppArmor / SELinux", () => {
  it.each([
    ["none", {}, {}, "ok", undefined, /no AppArmor or SELinux/],
    [
      "AppArmor",
      { "/sys/module/apparmor/parameters/enabled": "Y\n" },
      {},
      "warning",
      "security-module-denied",
      /AppArmor confines QEMU/,
    ],
    [
      "AppArmor, driver none",
      {
        "/sys/module/apparmor/parameters/enabled": "Y\n",
        "/etc/libvirt/qemu.conf": 'security_driver = "none"\n',
      },
      {},
      "ok",
      undefined,
      /security_driver/,
    ],
    [
      "SELinux, custom path",
      { "/sys/fs/selinux/enforce": "1" },
      {},
      "warning",
      "security-module-denied",
      /outside \/var\/lib\/libvirt\/images/,
    ],
    ["SELinux permissive", { "/sys/fs/selinux/enforce": "0" }, {}, "ok", undefined, /no AppArmor/],
  ])("%s", async (_name, texts, _unused, status, code, summary) => {
    const result = await checkSecurityModule(context({ probes: fakeHost({ texts }) }));
    expect(brief(result)).toEqual({ status, code });
    expect(result.summary).toMatch(summary);
  });

  it("SELinux with the pool under /var/lib/libvirt/images is fine; the fix is semanage on Fedora", async () => {
    const probes = fakeHost({ texts: { "/sys/fs/selinux/enforce": "1" } });
    const inside = await checkSecurityModule(
      context({ probes, plan: plan({}, { name: "p", path: "/var/lib/libvirt/images/p", existing: false }) }),
    );
    expect(inside.status).toBe("ok");
    const outside = await checkSecurityModule(context({ probes }));
    expect(outside.fix?.commands?.fedora?.[0]).toMatch(/^sudo semanage fcontext -a -t virt_image_t/);
  });
});

describe("dnsmasq, SSH", () => {
  it.each([
    ["NAT with dnsmasq", {}, { dnsmasq: "/usr/sbin/dnsmasq" }, "ok", undefined],
    ["NAT without dnsmasq", {}, {}, "failure", "dnsmasq-missing"],
    [
      "bridge needs none",
      { network: { mode: "bridge", cidr: "192.168.1.0/24", bridge: "br0" } },
      {},
      "ok",
      undefined,
    ],
  ])("dnsmasq: %s", async (_name, environment, programs, status, code) => {
    expect(
      brief(await checkDnsmasq(context({ plan: plan(environment), probes: fakeHost({ programs }) }))),
    ).toEqual({ status, code });
  });

  it("dnsmasq fix names each distribution's package", async () => {
    const result = await checkDnsmasq(context());
    expect(result.fix?.commands).toMatchObject({
      arch: ["sudo pacman -S --needed dnsmasq"],
      debian: ["sudo apt install dnsmasq-base"],
      fedora: ["sudo dnf install dnsmasq"],
    });
  });

  it.each([
    ["both", { ssh: "/usr/bin/ssh", "ssh-keygen": "/usr/bin/ssh-keygen" }, "ok", undefined, /OpenSSH client/],
    ["no ssh-keygen", { ssh: "/usr/bin/ssh" }, "failure", "ssh-client-missing", /ssh-keygen not found/],
    ["nothing", {}, "failure", "ssh-client-missing", /ssh and ssh-keygen/],
  ])("ssh: %s", async (_name, programs, status, code, summary) => {
    const result = await checkSsh(context({ probes: fakeHost({ programs }) }));
    expect(brief(result)).toEqual({ status, code });
    expect(result.summary).toMatch(summary);
  });
});

describe("network range", () => {
  const libvirtDefault = {
    name: "default",
    active: true,
    bridge: "virbr0",
    ipv4: [{ address: "192.168.122.1", prefix: 24 }],
    dhcpRanges: [{ start: "192.168.122.2", end: "192.168.122.254" }],
  };
  it.each([
    ["free", {}, REACHABLE, "ok", undefined, /is free/],
    [
      "libvirt's default overlaps",
      { network: { cidr: "192.168.122.0/24" } },
      { ...REACHABLE, networks: [libvirtDefault] },
      "failure",
      "network-range-in-use",
      /libvirt network "default"/,
    ],
    [
      "a LAN interface overlaps",
      { network: { cidr: "192.168.1.0/24" } },
      REACHABLE,
      "failure",
      "network-range-in-use",
      /interface eth0 \(192\.168\.1\.5\/24\)/,
    ],
    [
      "a VPN route overlaps",
      { network: { cidr: "10.8.3.0/24" } },
      REACHABLE,
      "failure",
      "network-range-in-use",
      /route 10\.8\.0\.0\/16 via tun0/,
    ],
    [
      "our own network from an earlier up",
      {},
      {
        ...REACHABLE,
        networks: [
          {
            name: "k3s-dev-net",
            active: true,
            bridge: "virbr7",
            ipv4: [{ address: "192.168.140.1", prefix: 24 }],
            dhcpRanges: [{ start: "192.168.140.100", end: "192.168.140.199" }],
          },
        ],
      },
      "ok",
      undefined,
      /homelab's network "k3s-dev-net"/,
    ],
    [
      "our own network, created by an earlier homelab without a dynamic DHCP range",
      {},
      {
        ...REACHABLE,
        networks: [
          {
            name: "k3s-dev-net",
            active: true,
            bridge: "virbr7",
            ipv4: [{ address: "192.168.140.1", prefix: 24 }],
            dhcpRanges: [],
          },
        ],
      },
      "warning",
      "network-range-in-use",
      /has no dynamic DHCP range/,
    ],
    ["libvirt down: host only", {}, UNREACHABLE, "ok", undefined, /is free/],
  ])("%s", async (_name, environment, libvirt, status, code, summary) => {
    const probes = fakeHost({
      addresses: [
        { interface: "lo", address: "127.0.0.1", prefix: 8 },
        { interface: "eth0", address: "192.168.1.5", prefix: 24 },
        { interface: "virbr7", address: "192.168.140.1", prefix: 24 },
      ],
      routes: [
        { interface: "eth0", destination: "0.0.0.0", prefix: 0 },
        { interface: "eth0", destination: "192.168.1.0", prefix: 24 },
        { interface: "tun0", destination: "10.8.0.0", prefix: 16 },
        { interface: "virbr7", destination: "192.168.140.0", prefix: 24 },
      ],
    });
    const ownNetworkExists = libvirt.networks?.some((network) => network.name === "k3s-dev-net") ?? false;
    const host = ownNetworkExists
      ? probes
      : {
          ...probes,
          interfaceAddresses: async () =>
            (await probes.interfaceAddresses()).filter((a) => a.interface !== "virbr7"),
          routes: async () => (await probes.routes()).filter((r) => r.interface !== "virbr7"),
        };
    const result = await checkNetwork(context({ plan: plan(environment), libvirt, probes: host }));
    expect(brief(result)).toEqual({ status, code });
    expect(result.summary).toMatch(summary);
  });

  it.each([
    [
      "bridge present on the LAN",
      { "/sys/class/net/br0": dir(0o755), "/sys/class/net/br0/bridge": dir(0o755) },
      "192.168.1.0/24",
      "ok",
      undefined,
    ],
    ["bridge missing", {}, "192.168.1.0/24", "failure", "network-bridge-missing"],
    [
      "not a bridge",
      { "/sys/class/net/br0": dir(0o755) },
      "192.168.1.0/24",
      "failure",
      "network-bridge-missing",
    ],
    [
      "bridge on another subnet",
      { "/sys/class/net/br0": dir(0o755), "/sys/class/net/br0/bridge": dir(0o755) },
      "10.1.0.0/24",
      "warning",
      "network-range-in-use",
    ],
  ])("bridge: %s", async (_name, stats, cidr, status, code) => {
    const probes = fakeHost({ stats, addresses: [{ interface: "br0", address: "192.168.1.2", prefix: 24 }] });
    const result = await checkNetwork(
      context({ plan: plan({ network: { mode: "bridge", cidr, bridge: "br0" } }), probes }),
    );
    expect(brief(result)).toEqual({ status, code });
  });
});

describe("disk space", () => {
  const stats = {
    "/home": dir(0o755, 0, 0, 1),
    "/var": dir(0o755, 0, 0, 2),
    "/var/lib": dir(0o755, 0, 0, 2),
    "/var/lib/libvirt": dir(0o755, 0, 0, 2),
  };
  it.each([
    ["plenty", 500 * GiB, 500 * GiB, "ok", undefined],
    ["pool below the floor (image + 1 GiB per node)", 500 * GiB, 3 * GiB, "failure", "disk-space-low"],
    ["pool enough to start, not for full disks", 500 * GiB, 10 * GiB, "warning", "disk-space-low"],
    ["cache too small for the image", 0.5 * GiB, 500 * GiB, "failure", "disk-space-low"],
  ])("%s", async (_name, homeFree, varFree, status, code) => {
    const probes = fakeHost({ stats, free: { "/home": homeFree, "/var/lib/libvirt": varFree } });
    expect(brief(await checkDiskSpace(context({ probes })))).toEqual({ status, code });
  });

  it("adds up image and pool needs on one filesystem", async () => {
    const oneFs = {
      "/home": dir(0o755, 0, 0, 1),
      "/var": dir(0o755, 0, 0, 1),
      "/var/lib": dir(0o755, 0, 0, 1),
      "/var/lib/libvirt": dir(0o755, 0, 0, 1),
    };
    const probes = fakeHost({ stats: oneFs, free: { "/home": 4.5 * GiB } });
    const result = await checkDiskSpace(context({ probes }));
    expect(result.status).toBe("failure"); // 1 GiB image cache + 1 GiB base volume + 3 × 1 GiB nodes = 5 GiB
    expect(result.summary).toMatch(/image cache \+ pool/);
  });

  it("needs nothing for a cached image in the cache", async () => {
    const probes = fakeHost({ stats, free: { "/home": 0, "/var/lib/libvirt": 500 * GiB } });
    const result = await checkDiskSpace(context({ probes, image: { cacheDir: "/home/me/x", cached: true } }));
    expect(result.status).toBe("ok");
  });
});

describe("os-release", () => {
  it.each([
    ['ID=arch\nPRETTY_NAME="Arch Linux"', "arch", "Arch Linux"],
    ['ID=endeavouros\nID_LIKE=arch\nPRETTY_NAME="EndeavourOS"', "arch", "EndeavourOS"],
    ['ID=ubuntu\nID_LIKE=debian\nPRETTY_NAME="Ubuntu 24.04 LTS"', "debian", "Ubuntu 24.04 LTS"],
    ['ID=linuxmint\nID_LIKE="ubuntu debian"', "debian", undefined],
    [
      'ID=fedora\nPRETTY_NAME="Fedora Linux 41 (Workstation Edition)"',
      "fedora",
      "Fedora Linux 41 (Workstation Edition)",
    ],
    ['ID="rocky"\nID_LIKE="rhel centos fedora"', "fedora", undefined],
    ['ID=opensuse-tumbleweed\nID_LIKE="opensuse suse"', undefined, undefined],
  ])("%j → %s", (text, family, pretty) => {
    const release = parseOsRelease(text);
    expect(distroFamily(release)).toBe(family);
    expect(release.prettyName).toBe(pretty);
  });
});
