import {
  domainTypeSupport,
  isLocalUri,
  libvirtReachable,
  listNetworks,
  listPools,
} from "../libvirt/index.js";
import { checkDiskSpace } from "./checks/disk-space.js";
import { checkDnsmasq } from "./checks/dnsmasq.js";
import { checkLibvirt } from "./checks/libvirt.js";
import { checkNetwork } from "./checks/network.js";
import { checkPool } from "./checks/pool.js";
import { checkProvider, type ProviderCheckInput } from "./checks/provider.js";
import { checkSecurityModule } from "./checks/security-module.js";
import { checkSsh } from "./checks/ssh.js";
import { checkTofuBinary, findTofu } from "./checks/tofu.js";
import { checkVirtualization } from "./checks/virtualization.js";
import type { DoctorContext, DoctorPlan, LibvirtFacts } from "./context.js";
import { onHostResult, planOnHost } from "./hosts.js";
import { distroFamily, parseOsRelease } from "./os-release.js";
import { INSTALL, withoutSudo } from "./packages.js";
import type { HostProbes } from "./probes.js";
import { resolveQemuAccount } from "./qemu-user.js";
import {
  type CheckResult,
  DISTRO_FAMILIES,
  type DistroFamily,
  type DoctorReport,
  type Privilege,
} from "./types.js";

export interface RunDoctorOptions {
  /** The host: `createHostProbes(...)` in the CLI, tables in unit tests. */
  readonly probes: HostProbes;
  /** Where the Flatcar image is cached (`<cacheRoot>/images/flatcar/<channel>/<version>`), and whether it is there already. */
  readonly image: { readonly cacheDir: string; readonly cached: boolean };
  /** How to look for the libvirt provider (the CLI's env vars); without it the check is skipped. */
  readonly provider?: ProviderCheckInput;
}

/** Asks libvirt everything the checks need, once; what cannot be asked stays undefined. */
export async function gatherLibvirtFacts(
  uri: string,
  probes: HostProbes,
  machineType: "kvm" | "qemu",
): Promise<LibvirtFacts> {
  const options = { runner: probes.run };
  const reachability = await libvirtReachable(uri, options);
  const local = isLocalUri(uri);
  if (!reachability.reachable)
    return { reachability, local, pools: undefined, networks: undefined, domainType: undefined };
  const optional = <T>(promise: Promise<T>) => promise.catch(() => undefined);
  const [pools, networks, domainType] = await Promise.all([
    optional(listPools(uri, options)),
    optional(listNetworks(uri, options)),
    optional(domainTypeSupport(uri, machineType, options)),
  ]);
  return { reachability, local, pools, networks, domainType };
}

/**
 * Runs every host check for an environment's plan and returns one result per check, in a
 * fixed order. Never throws for a problem on the host: problems are results. `blocking` is
 * true when any check failed, i.e. when `homelab up` must stop.
 */
export async function runDoctor(plan: DoctorPlan, options: RunDoctorOptions): Promise<DoctorReport> {
  const { probes } = options;
  const osRelease =
    (await probes.readText("/etc/os-release")) ?? (await probes.readText("/usr/lib/os-release"));
  const release = osRelease === undefined ? undefined : parseOsRelease(osRelease);
  const family = distroFamily(release);
  const tofu = await findTofu(probes);
  const hosts = plan.multiHost && plan.hosts ? plan.hosts : undefined;
  const contextOn = async (onHost: DoctorPlan): Promise<DoctorContext> => {
    const uri = onHost.environment.libvirt.uri;
    const [libvirt, qemu] = await Promise.all([
      gatherLibvirtFacts(uri, probes, plan.environment.machine.type),
      resolveQemuAccount(probes, family, uri),
    ]);
    return { plan: onHost, probes, family, libvirt, qemu, image: options.image };
  };
  let checks: CheckResult[];
  let uri: string;
  if (!hosts) {
    uri = plan.environment.libvirt.uri;
    const context = await contextOn(plan);
    checks = await Promise.all([
      checkTofuBinary(tofu),
      checkLibvirt(context),
      checkVirtualization(context),
      checkPool(context),
      checkSecurityModule(context),
      checkDnsmasq(context),
      checkNetwork(context),
      checkSsh(context),
      checkDiskSpace(context),
      checkProvider(options.provider, tofu),
    ]);
  } else {
    uri = hosts.map((host) => `${host.name} ${host.uri}`).join(", ");
    // Each host: reachable over its URI, KVM, pool, QEMU's confinement, bridge; named in each line.
    const contexts = await Promise.all(hosts.map((host) => contextOn(planOnHost(plan, host))));
    const perHost = await Promise.all(
      hosts.map(async (host, index) => {
        const context = contexts[index]!;
        const results = await Promise.all([
          checkLibvirt(context),
          checkVirtualization(context),
          checkPool(context),
          checkSecurityModule(context),
          checkNetwork(context),
        ]);
        return results.map((check) => onHostResult(check, host.name));
      }),
    );
    // The machine that runs homelab, once: OpenTofu, SSH keys, its cache's disk, the provider.
    const first = contexts[0]!;
    const once = await Promise.all([
      checkSsh(first),
      checkDiskSpace(first),
      checkProvider(options.provider, tofu),
    ]);
    checks = [checkTofuBinary(tofu), ...perHost.flat(), ...once];
  }
  // The CLI's user: root runs the commands without `sudo` (a root shell may not even have it).
  const privilege: Privilege = {
    root: probes.user.uid === 0,
    sudo: (await probes.which("sudo")) !== undefined,
  };
  const adapted = privilege.root ? checks.map(commandsAsRoot) : checks;
  const installAll = combinedInstall(adapted, privilege);
  return {
    environment: plan.environment.name,
    uri,
    ...(hosts ? { hosts: hosts.map((host) => ({ name: host.name, uri: host.uri })) } : {}),
    distro: family,
    distroName: release?.prettyName,
    checks: adapted,
    blocking: adapted.some((check) => check.status === "failure"),
    ...(installAll ? { installAll } : {}),
    privilege,
  };
}

function commandsAsRoot(check: CheckResult): CheckResult {
  const commands = check.fix?.commands;
  if (!check.fix || !commands) return check;
  const stripped = Object.fromEntries(
    Object.entries(commands).map(([family, lines]) => [family, (lines ?? []).map(withoutSudo)]),
  );
  return { ...check, fix: { ...check.fix, commands: stripped } };
}

/**
 * One install per distribution for every package the failed or warned checks ask for, when
 * more than one check asks (libvirt, QEMU and dnsmasq overlap). Order: first asked, first listed.
 */
function combinedInstall(
  checks: readonly CheckResult[],
  privilege: Privilege,
): Partial<Record<DistroFamily, string>> | undefined {
  const asking = checks.filter((check) => check.status !== "ok" && check.fix?.packages);
  if (asking.length < 2) return undefined;
  const commands: Partial<Record<DistroFamily, string>> = {};
  for (const family of DISTRO_FAMILIES) {
    const packages = [...new Set(asking.flatMap((check) => check.fix?.packages?.[family] ?? []))];
    if (packages.length === 0) continue;
    const command = INSTALL[family](packages);
    commands[family] = privilege.root ? withoutSudo(command) : command;
  }
  return commands;
}
