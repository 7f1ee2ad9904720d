/**
 * IPv4 arithmetic for planning: addresses as unsigned 32-bit integers. Inputs were already
 * checked by the schema (z.ipv4 / z.cidrv4), so parsing here only has to be correct, not kind.
 */

export interface Ipv4Network {
  readonly cidr: string;
  /** Network address as an integer. */
  readonly base: number;
  readonly prefixLength: number;
  /** Number of addresses, including network and broadcast. */
  readonly size: number;
}

export function parseIpv4(address: string): number {
  const parts = address.split(".").map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) {
    throw new RangeError(`not an IPv4 address: ${address}`);
  }
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

export function formatIpv4(value: number): string {
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join(".");
}

/** The network of a CIDR; host bits in the address are cleared (192.168.1.7/24 → 192.168.1.0/24). */
export function parseCidr(cidr: string): Ipv4Network {
  const [address, prefix] = cidr.split("/");
  const prefixLength = Number(prefix);
  if (address === undefined || !Number.isInteger(prefixLength) || prefixLength < 0 || prefixLength > 32) {
    throw new RangeError(`not an IPv4 CIDR: ${cidr}`);
  }
  const size = 2 ** (32 - prefixLength);
  const base = Math.floor(parseIpv4(address) / size) * size;
  return { cidr: `${formatIpv4(base)}/${prefixLength}`, base, prefixLength, size };
}

export function netmask(prefixLength: number): string {
  return formatIpv4(prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0);
}

export function contains(network: Ipv4Network, address: number): boolean {
  return address >= network.base && address < network.base + network.size;
}

/** A usable host address: inside the network, not its network or broadcast address. */
export function isHostAddress(network: Ipv4Network, address: number): boolean {
  if (!contains(network, address)) return false;
  if (network.prefixLength >= 31) return true;
  return address !== network.base && address !== network.base + network.size - 1;
}

/** The address of host number `host` (network address + host). */
export function hostAddress(network: Ipv4Network, host: number): number {
  return network.base + host;
}

export function overlaps(a: Ipv4Network, b: Ipv4Network): boolean {
  return a.base < b.base + b.size && b.base < a.base + a.size;
}
