import { type Ipv4Network, overlaps, parseCidr } from "../../plan/ipv4.js";
import type { DoctorContext } from "../context.js";
import type { CheckResult } from "../types.js";

const networkOf = (address: string, prefix: number): Ipv4Network => parseCidr(`${address}/${prefix}`);

/**
 * NAT: the environment's range must not already be routed on the host (another libvirt
 * network, a LAN, a VPN, Docker) — unless it is homelab's own network from an earlier `up`.
 * Bridge: the bridge must exist. Only reads; never creates a network.
 */
export async function checkNetwork(context: DoctorContext): Promise<CheckResult> {
  const { network } = context.plan;
  if (!context.libvirt.local) {
    return {
      id: "network",
      status: "ok",
      summary: `${network.cidr} not checked: libvirt runs on another host`,
    };
  }
  const wanted = parseCidr(network.cidr);
  const addresses = await context.probes.interfaceAddresses();
  if (network.mode === "bridge") return checkBridge(context, wanted, addresses);

  const ownName = network.libvirtNetworkName;
  const libvirtNetworks = context.libvirt.networks;
  const own = libvirtNetworks?.find((candidate) => candidate.name === ownName);
  const ownBridge = own?.bridge;
  const conflicts: string[] = [];
  for (const candidate of libvirtNetworks ?? []) {
    if (candidate.name === ownName) continue;
    for (const ip of candidate.ipv4) {
      if (overlaps(wanted, networkOf(ip.address, ip.prefix))) {
        conflicts.push(
          `libvirt network "${candidate.name}" (${ip.address}/${ip.prefix}${candidate.active ? "" : ", inactive"})`,
        );
      }
    }
  }
  const reportedInterfaces = new Set<string>();
  for (const address of addresses) {
    if (address.interface === ownBridge) continue;
    if (overlaps(wanted, networkOf(address.address, address.prefix))) {
      conflicts.push(`interface ${address.interface} (${address.address}/${address.prefix})`);
      reportedInterfaces.add(address.interface);
    }
  }
  for (const route of await context.probes.routes()) {
    if (route.prefix === 0 || route.interface === ownBridge || reportedInterfaces.has(route.interface))
      continue;
    if (overlaps(wanted, networkOf(route.destination, route.prefix))) {
      conflicts.push(`route ${route.destination}/${route.prefix} via ${route.interface}`);
    }
  }
  if (conflicts.length > 0) {
    return {
      id: "network",
      status: "failure",
      summary: `${network.cidr} is already in use on this host: ${[...new Set(conflicts)].join("; ")}`,
      code: "network-range-in-use",
      fix: {
        text:
          "Pick a free private range for network.cidr (e.g. another 192.168.x.0/24) — node addresses follow it. " +
          "`ip -4 route` shows what the host already uses.",
      },
    };
  }
  const notes = libvirtNetworks ? [] : ["libvirt networks not compared (libvirt did not answer)"];
  const range = network.dhcpRange;
  if (own && range && own.dhcpRanges.length === 0) {
    // Created by an earlier homelab: only the MACs listed then get a lease, so a node added or
    // rebuilt later never finishes Ignition. OpenTofu cannot change a live network's DHCP.
    const xml = `<range start='${range.start}' end='${range.end}'/>`;
    return {
      id: "network",
      status: "warning",
      summary: `homelab's network "${ownName}" has no dynamic DHCP range: a node added later gets no address at its first boot`,
      code: "network-range-in-use",
      fix: {
        text: `Add the range ${range.start}-${range.end} (network.dhcpRange) to the running network once; it applies at once and survives restarts.`,
        commands: {
          arch: [`sudo virsh net-update ${ownName} add ip-dhcp-range "${xml}" --live --config`],
          debian: [`sudo virsh net-update ${ownName} add ip-dhcp-range "${xml}" --live --config`],
          fedora: [`sudo virsh net-update ${ownName} add ip-dhcp-range "${xml}" --live --config`],
        },
      },
    };
  }
  return {
    id: "network",
    status: "ok",
    summary: own
      ? `${network.cidr} is homelab's network "${ownName}" (already defined)`
      : `${network.cidr} is free on this host`,
    notes,
  };
}

async function checkBridge(
  context: DoctorContext,
  wanted: Ipv4Network,
  addresses: readonly { interface: string; address: string; prefix: number }[],
): Promise<CheckResult> {
  const bridge = context.plan.network.bridge ?? "";
  const isBridge = (await context.probes.stat(`/sys/class/net/${bridge}/bridge`))?.kind === "directory";
  if (!isBridge) {
    const exists = (await context.probes.stat(`/sys/class/net/${bridge}`)) !== undefined;
    return {
      id: "network",
      status: "failure",
      summary: exists ? `${bridge} exists but is not a bridge` : `the host bridge ${bridge} does not exist`,
      code: "network-bridge-missing",
      fix: {
        text: `Create a bridge ${bridge} with the host's LAN interface in it (NetworkManager: nmcli; systemd-networkd: a .netdev), or use network.mode "nat".`,
        commands: {
          arch: [`sudo nmcli connection add type bridge ifname ${bridge} con-name ${bridge}`],
          debian: [`sudo nmcli connection add type bridge ifname ${bridge} con-name ${bridge}`],
          fedora: [`sudo nmcli connection add type bridge ifname ${bridge} con-name ${bridge}`],
        },
      },
    };
  }
  const own = addresses.filter((address) => address.interface === bridge);
  const inside = own.some((address) => overlaps(wanted, networkOf(address.address, address.prefix)));
  if (own.length > 0 && !inside) {
    return {
      id: "network",
      status: "warning",
      summary: `bridge ${bridge} is on ${own.map((a) => `${a.address}/${a.prefix}`).join(", ")}, but the nodes get addresses in ${wanted.cidr}`,
      code: "network-range-in-use",
      fix: { text: "Set network.cidr to the bridge's LAN so that the nodes can reach the gateway." },
    };
  }
  return {
    id: "network",
    status: "ok",
    summary: `bridge ${bridge} exists${inside ? ` on ${wanted.cidr}` : ""}`,
    // What homelab cannot see from the host: the LAN must hand out an address at first boot.
    notes: [
      "the LAN must answer DHCP for a node's first boot (Ignition fetches k3s from the initramfs); the node then takes its static address",
      `keep ${context.plan.network.registrationAddress} (network.registrationAddress) and network.loadBalancerRange out of the LAN's DHCP pool`,
    ],
  };
}
