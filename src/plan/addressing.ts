import type { Environment } from "../environment/schema.js";
import type { ErrorCode } from "../errors/index.js";
import { formatIpv4, hostAddress, type Ipv4Network, isHostAddress, parseIpv4 } from "./ipv4.js";
import type { AddressRange } from "./types.js";

/**
 * The addresses of an environment's network besides the nodes': the registration address (a
 * virtual IP the servers announce), the dynamic DHCP range and the LoadBalancer range. Each has
 * a default by host number, documented in the schema:
 *
 *   .1 gateway · .9 registration address · .10+ servers · .20+ agents · .100-.199 DHCP · .200-.250 load balancers
 *
 * and none may overlap another or a node. In NAT mode the DHCP range is what libvirt's dnsmasq
 * hands out at first boot (the initramfs uses DHCP before the node's static address applies),
 * and provider 0.9.7 cannot change a live network's DHCP: it has to be right from day one.
 */

/** Host numbers of the defaults (within the network). */
export const DEFAULT_HOSTS = {
  registrationAddress: 9,
  dhcpRange: { start: 100, end: 199 },
  loadBalancerRange: { start: 200, end: 250 },
} as const;

export interface PlannedAddressing {
  readonly registrationAddress: string;
  /** NAT: always (homelab's network serves it); bridge: only when the environment names the LAN's pool. */
  readonly dhcpRange: AddressRange | undefined;
  readonly loadBalancerRange: AddressRange;
}

export interface AddressedNode {
  readonly name: string;
  readonly address: number;
}

type Report = (code: ErrorCode, path: (string | number)[], message: string, fix: string) => void;

interface NumericRange {
  readonly start: number;
  readonly end: number;
  readonly path: (string | number)[];
  readonly what: string;
}

function rangeText(range: { start: number; end: number }): string {
  return `${formatIpv4(range.start)}-${formatIpv4(range.end)}`;
}

function inRange(range: { start: number; end: number }, address: number): boolean {
  return address >= range.start && address <= range.end;
}

function resolveRange(
  input: { start: string; end: string } | undefined,
  defaults: { start: number; end: number },
  network: Ipv4Network,
  path: (string | number)[],
  what: string,
  problem: Report,
): NumericRange | undefined {
  const start = input ? parseIpv4(input.start) : hostAddress(network, defaults.start);
  const end = input ? parseIpv4(input.end) : hostAddress(network, defaults.end);
  if (start > end) {
    problem(
      "env-invalid",
      [...path, "start"],
      `the ${what} starts at ${formatIpv4(start)}, after its end ${formatIpv4(end)}`,
      `Swap start and end of ${path.join(".")}.`,
    );
    return undefined;
  }
  if (!isHostAddress(network, start) || !isHostAddress(network, end)) {
    problem(
      "env-address-outside-network",
      input ? path : ["network", "cidr"],
      input
        ? `the ${what} ${rangeText({ start, end })} is not inside ${network.cidr}`
        : `the default ${what} ${rangeText({ start, end })} (hosts .${defaults.start}-.${defaults.end}) does not fit in ${network.cidr}`,
      input
        ? `Choose ${path.join(".")} among the host addresses of ${network.cidr}.`
        : `Set ${path.join(".")} to a range inside ${network.cidr}, or use a /24 or larger network.`,
    );
    return undefined;
  }
  return { start, end, path, what };
}

/**
 * Resolves and checks the registration address and the ranges against the gateway, the nodes
 * and each other. Every problem is reported with the field path of the setting to change.
 */
export function planAddressing(
  environment: Environment,
  network: Ipv4Network,
  gateway: number,
  nodes: readonly AddressedNode[],
  problem: Report,
): PlannedAddressing | undefined {
  const input = environment.network;
  const problemsBefore = { count: 0 };
  const counting: Report = (...args) => {
    problemsBefore.count++;
    problem(...args);
  };

  const registrationPath = ["network", "registrationAddress"];
  const registration =
    input.registrationAddress === undefined
      ? hostAddress(network, DEFAULT_HOSTS.registrationAddress)
      : parseIpv4(input.registrationAddress);
  const registrationShown = formatIpv4(registration);
  if (!isHostAddress(network, registration)) {
    counting(
      "env-address-outside-network",
      input.registrationAddress === undefined ? ["network", "cidr"] : registrationPath,
      `the registration address ${registrationShown} is not a host address of ${network.cidr}`,
      `Set network.registrationAddress to a free host address of ${network.cidr} (outside the node, DHCP and load-balancer ranges).`,
    );
  }

  const ranges: NumericRange[] = [];
  const wantsDhcp = input.mode === "nat" || input.dhcpRange !== undefined;
  const dhcp = wantsDhcp
    ? resolveRange(
        input.dhcpRange,
        DEFAULT_HOSTS.dhcpRange,
        network,
        ["network", "dhcpRange"],
        "DHCP range",
        counting,
      )
    : undefined;
  if (dhcp) ranges.push(dhcp);
  const loadBalancers = resolveRange(
    input.loadBalancerRange,
    DEFAULT_HOSTS.loadBalancerRange,
    network,
    ["network", "loadBalancerRange"],
    "load-balancer range",
    counting,
  );
  if (loadBalancers) ranges.push(loadBalancers);

  if (registration === gateway) {
    counting(
      "env-address-conflict",
      registrationPath,
      `the registration address ${registrationShown} is the network's gateway`,
      "Set network.registrationAddress to a free host address.",
    );
  }
  for (const node of nodes) {
    if (node.address === registration) {
      counting(
        "env-address-conflict",
        registrationPath,
        `the registration address ${registrationShown} is ${node.name}'s address`,
        `Set network.registrationAddress to an address no node uses (the default is host .${DEFAULT_HOSTS.registrationAddress}, just below the servers).`,
      );
    }
  }
  for (const range of ranges) {
    if (inRange(range, registration)) {
      counting(
        "env-address-conflict",
        registrationPath,
        `the registration address ${registrationShown} lies inside the ${range.what} ${rangeText(range)}`,
        `Move network.registrationAddress out of ${range.path.join(".")}: a virtual IP must never be handed to another machine.`,
      );
    }
    if (inRange(range, gateway)) {
      counting(
        "env-address-conflict",
        range.path,
        `the ${range.what} ${rangeText(range)} contains the gateway ${formatIpv4(gateway)}`,
        `Move ${range.path.join(".")} clear of the gateway.`,
      );
    }
    const inside = nodes.filter((node) => inRange(range, node.address));
    if (inside.length > 0) {
      const names = inside.map((node) => `${node.name} (${formatIpv4(node.address)})`);
      counting(
        "env-address-conflict",
        range.path,
        `the ${range.what} ${rangeText(range)} contains ${names.length === 1 ? "the address of " : "the addresses of "}${names.slice(0, 3).join(", ")}${names.length > 3 ? ` and ${names.length - 3} more` : ""}`,
        `Move ${range.path.join(".")} clear of the nodes (servers from servers.firstHost, agents from agents.firstHost), or move the nodes.`,
      );
    }
  }
  if (dhcp && loadBalancers && dhcp.start <= loadBalancers.end && loadBalancers.start <= dhcp.end) {
    counting(
      "env-address-conflict",
      loadBalancers.path,
      `the load-balancer range ${rangeText(loadBalancers)} overlaps the DHCP range ${rangeText(dhcp)}`,
      "Keep network.loadBalancerRange and network.dhcpRange apart: MetalLB would announce addresses dnsmasq hands out.",
    );
  }
  if (problemsBefore.count > 0 || !loadBalancers) return undefined;
  return {
    registrationAddress: registrationShown,
    dhcpRange: dhcp ? { start: formatIpv4(dhcp.start), end: formatIpv4(dhcp.end) } : undefined,
    loadBalancerRange: { start: formatIpv4(loadBalancers.start), end: formatIpv4(loadBalancers.end) },
  };
}
