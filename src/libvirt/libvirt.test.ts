import { describe, expect, it } from "vitest";
import { domainStates, parseDomainState } from "./domains.js";
import { parseNetworkXml } from "./networks.js";
import { parsePoolXml } from "./pools.js";
import type { ProcessResult, ProcessRunner } from "./process.js";
import { libvirtReachable, parseVirshVersion } from "./reachable.js";
import { classifyVirshFailure, isLocalUri, isSessionUri, virshReason } from "./virsh.js";

const ok = (stdout: string): ProcessResult => ({
  exitCode: 0,
  stdout,
  stderr: "",
  missing: false,
  timedOut: false,
});
const fail = (stderr: string): ProcessResult => ({
  exitCode: 1,
  stdout: "",
  stderr,
  missing: false,
  timedOut: false,
});

/** Replays virsh answers keyed by the arguments after `-c <uri>`. */
function replay(answers: Record<string, ProcessResult>): ProcessRunner {
  return async (_program, args) => {
    const key = args.slice(3).join(" ");
    const answer = answers[key];
    if (!answer) throw new Error(`unexpected virsh call: ${key}`);
    return answer;
  };
}

describe("classifyVirshFailure", () => {
  it.each([
    [
      "error: failed to connect to the hypervisor\nerror: Failed to connect socket to '/var/run/libvirt/libvirt-sock': No such file or directory",
      "unreachable",
    ],
    [
      "error: failed to connect to the hypervisor\nerror: Failed to connect socket to '/run/libvirt/libvirt-sock': Connection refused",
      "unreachable",
    ],
    [
      "error: failed to connect to the hypervisor\nerror: Failed to connect socket to '/var/run/libvirt/libvirt-sock': Permission denied",
      "permission-denied",
    ],
    [
      "error: failed to connect to the hypervisor\nerror: authentication unavailable: no polkit agent available to authenticate action 'org.libvirt.unix.manage'",
      "permission-denied",
    ],
    [
      "error: failed to connect to the hypervisor\nerror: internal error: Unable to get system bus connection: Could not connect: No such file or directory",
      "permission-denied",
    ],
    [
      "error: failed to connect to the hypervisor\nerror: no connection driver available for qemu:///system",
      "unreachable",
    ],
    ["error: failed to get domain 'x'", "not-found"],
    [
      "error: failed to get pool 'x'\nerror: Storage pool not found: no storage pool with matching name 'x'",
      "not-found",
    ],
    ["error: internal error: something else", "other"],
  ])("%s → %s", (stderr, kind) => {
    expect(classifyVirshFailure(stderr)).toBe(kind);
  });

  it("keeps the reason, not the generic first line", () => {
    expect(
      virshReason(
        "error: failed to connect to the hypervisor\nerror: Failed to connect socket to 'x': Connection refused\n",
      ),
    ).toBe("Failed to connect socket to 'x': Connection refused");
  });
});

describe("URIs", () => {
  it.each([
    ["qemu:///system", true, false],
    ["qemu:///session", true, true],
    ["qemu+unix:///system?socket=/tmp/s", true, false],
    ["qemu+ssh://root@host/system", false, false],
    ["qemu+tcp://localhost/session", true, true],
  ])("%s local=%s session=%s", (uri, local, session) => {
    expect(isLocalUri(uri)).toBe(local);
    expect(isSessionUri(uri)).toBe(session);
  });
});

describe("parsers", () => {
  it.each([
    ["running\n\n", "running"],
    ["shut off (destroyed)\n", "shut off"],
    ["in shutdown\n", "in shutdown"],
    ["pmsuspended\n", "pmsuspended"],
    ["something new\n", "unknown"],
  ])("domstate %j → %s", (stdout, state) => {
    expect(parseDomainState(stdout)).toBe(state);
  });

  it("reads pool type and an entity-escaped target path", () => {
    const xml = `<pool type='dir'>\n  <name>p</name>\n  <target>\n    <path>/srv/a &amp; b</path>\n    <permissions><mode>0711</mode></permissions>\n  </target>\n</pool>`;
    expect(parsePoolXml(xml)).toEqual({ type: "dir", targetPath: "/srv/a & b" });
    expect(parsePoolXml("<pool type='logical'><name>v</name><target/></pool>")).toEqual({
      type: "logical",
      targetPath: undefined,
    });
  });

  it("reads a network's bridge and IPv4 ranges (prefix and netmask forms)", () => {
    const xml = `<network><name>default</name><bridge name='virbr0' stp='on' delay='0'/>
      <ip address='192.168.122.1' netmask='255.255.255.0'><dhcp><range start='192.168.122.2' end='192.168.122.254'/></dhcp></ip>
      <ip family='ipv6' address='fd00::1' prefix='64'/>
      <ip address="10.9.0.1" prefix="16"/></network>`;
    expect(parseNetworkXml(xml)).toEqual({
      bridge: "virbr0",
      ipv4: [
        { address: "192.168.122.1", prefix: 24 },
        { address: "10.9.0.1", prefix: 16 },
      ],
      dhcpRanges: [{ start: "192.168.122.2", end: "192.168.122.254" }],
    });
    // Only host reservations: libvirt runs dnsmasq static-only, unknown MACs get no lease.
    expect(
      parseNetworkXml(
        "<network><ip address='10.1.0.1' prefix='24'><dhcp><host mac='52:54:00:00:00:01' ip='10.1.0.10'/></dhcp></ip></network>",
      ).dhcpRanges,
    ).toEqual([]);
  });

  it("reads virsh version", () => {
    const stdout =
      "Compiled against library: libvirt 9.0.0\nUsing library: libvirt 9.0.0\nUsing API: QEMU 9.0.0\nRunning hypervisor: QEMU 7.2.22\n";
    expect(parseVirshVersion(stdout)).toEqual({ libvirtVersion: "9.0.0", hypervisor: "QEMU 7.2.22" });
  });
});

describe("domainStates (replayed virsh)", () => {
  it("maps existing, missing and vanished domains", async () => {
    const runner = replay({
      "list --all --name": ok("a\nb\nc\n\n"),
      "domstate -- a": ok("running\n"),
      "domstate -- b": fail("error: failed to get domain 'b'\n"),
      "domstate -- c": ok("weird\n"),
    });
    const states = await domainStates("qemu:///system", ["a", "b", "c", "d"], { runner });
    expect([...states]).toEqual([
      ["a", "running"],
      ["b", "absent"],
      ["c", "unknown"],
      ["d", "absent"],
    ]);
  });

  it.each([
    [
      "error: failed to connect to the hypervisor\nerror: Failed to connect socket to 's': Connection refused",
      "libvirt-unreachable",
    ],
    [
      "error: failed to connect to the hypervisor\nerror: authentication unavailable: no polkit agent",
      "libvirt-permission-denied",
    ],
  ])("throws the classified error (%#)", async (stderr, code) => {
    const runner = replay({ "list --all --name": fail(stderr) });
    await expect(domainStates("qemu:///system", ["a"], { runner })).rejects.toMatchObject({ code });
  });

  it("reports a missing virsh as libvirt-unreachable with install commands", async () => {
    const runner: ProcessRunner = async () => ({
      exitCode: 127,
      stdout: "",
      stderr: "spawn virsh ENOENT",
      missing: true,
      timedOut: false,
    });
    const reachability = await libvirtReachable("qemu:///system", { runner });
    expect(reachability.reachable).toBe(false);
    if (!reachability.reachable) {
      expect(reachability.error.code).toBe("libvirt-unreachable");
      expect(reachability.error.fix).toContain("pacman -S libvirt");
    }
  });
});
