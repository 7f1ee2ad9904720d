import { parseNameList, runVirsh, type VirshOptions, virsh, virshError } from "./virsh.js";
import { startTags } from "./xml.js";

/** A libvirt virtual network and the IPv4 ranges it claims on the host. */
export interface LibvirtNetwork {
  readonly name: string;
  readonly active: boolean;
  /** The host bridge libvirt creates for it (virbr0, …), when named in its XML. */
  readonly bridge: string | undefined;
  /** IPv4 address/prefix of the host side, e.g. { address: "192.168.122.1", prefix: 24 }. */
  readonly ipv4: readonly { readonly address: string; readonly prefix: number }[];
  /** Dynamic DHCP ranges (`<dhcp><range start end/>`); none means only listed hosts get leases. */
  readonly dhcpRanges: readonly { readonly start: string; readonly end: string }[];
}

const NETMASK_BITS = (netmask: string): number =>
  netmask
    .split(".")
    .map((octet) => Number(octet).toString(2).replace(/0/g, "").length)
    .reduce((sum, bits) => sum + bits, 0);

/** Reads bridge and IPv4 ranges from `virsh net-dumpxml` output. */
export function parseNetworkXml(xml: string): Pick<LibvirtNetwork, "bridge" | "ipv4" | "dhcpRanges"> {
  const bridge = startTags(xml, "bridge")[0]?.name;
  const ipv4 = startTags(xml, "ip")
    .filter((ip) => (ip.family ?? "ipv4") === "ipv4" && ip.address !== undefined)
    .map((ip) => ({
      address: ip.address ?? "",
      prefix:
        ip.prefix !== undefined
          ? Number(ip.prefix)
          : ip.netmask !== undefined
            ? NETMASK_BITS(ip.netmask)
            : 24,
    }));
  const dhcpRanges = startTags(xml, "range")
    .filter((range) => range.start?.includes(".") && range.end?.includes("."))
    .map((range) => ({ start: range.start ?? "", end: range.end ?? "" }));
  return { bridge, ipv4, dhcpRanges };
}

/**
 * Every libvirt network (active and inactive) with its bridge and IPv4 ranges, sorted by name.
 * Read-only: homelab's tests never create networks.
 * @throws HomelabError `libvirt-unreachable` / `libvirt-permission-denied`.
 */
export async function listNetworks(uri: string, options: VirshOptions = {}): Promise<LibvirtNetwork[]> {
  const [all, inactive] = await Promise.all([
    virsh(uri, ["net-list", "--all", "--name"], options),
    virsh(uri, ["net-list", "--inactive", "--name"], options),
  ]);
  const inactiveNames = new Set(parseNameList(inactive));
  const networks = await Promise.all(
    parseNameList(all)
      .sort()
      .map(async (name): Promise<LibvirtNetwork | undefined> => {
        const result = await runVirsh(uri, ["net-dumpxml", "--", name], options);
        if (result.exitCode !== 0) {
          if (/failed to get network|network not found/i.test(result.stderr)) return undefined;
          throw virshError(uri, ["net-dumpxml", name], result);
        }
        return { name, active: !inactiveNames.has(name), ...parseNetworkXml(result.stdout) };
      }),
  );
  return networks.filter((network): network is LibvirtNetwork => network !== undefined);
}
