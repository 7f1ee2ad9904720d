import {
  classifyVirshFailure,
  parseNameList,
  runVirsh,
  type VirshOptions,
  virsh,
  virshError,
} from "./virsh.js";

/** The states `virsh domstate` reports (libvirt's virDomainState), in its own words. */
export const DOMAIN_STATES = [
  "no state",
  "running",
  "idle",
  "paused",
  "in shutdown",
  "shut off",
  "crashed",
  "pmsuspended",
] as const;

export type LibvirtDomainState = (typeof DOMAIN_STATES)[number];

/**
 * A domain's state as homelab reports it: one of libvirt's states, `absent` when no domain of
 * that name is defined, `unknown` when libvirt answered something homelab cannot read.
 */
export type DomainState = LibvirtDomainState | "absent" | "unknown";

/** Parses one `virsh domstate` answer ("shut off", or "shut off (destroyed)" with --reason). */
export function parseDomainState(stdout: string): LibvirtDomainState | "unknown" {
  const text = stdout.trim().replace(/\s*\(.*\)$/, "");
  return (DOMAIN_STATES as readonly string[]).includes(text) ? (text as LibvirtDomainState) : "unknown";
}

/**
 * The libvirt state of each named domain, for `homelab status`.
 *
 * One `virsh list --all --name` tells which domains exist, then one `virsh domstate` per
 * existing name (in parallel). A domain that disappears between the two calls is `absent`.
 *
 * @param uri libvirt connection URI (`environment.libvirt.uri`).
 * @param names domain names to look up; the map has exactly these keys, in this order.
 * @throws HomelabError `libvirt-unreachable` (daemon stopped, socket missing, virsh not
 *   installed) or `libvirt-permission-denied` (the user may not connect). Per-domain problems
 *   never throw: they become `absent` or `unknown`.
 */
export async function domainStates(
  uri: string,
  names: readonly string[],
  options: VirshOptions = {},
): Promise<Map<string, DomainState>> {
  const existing = new Set(parseNameList(await virsh(uri, ["list", "--all", "--name"], options)));
  const entries = await Promise.all(
    names.map(async (name): Promise<[string, DomainState]> => {
      if (!existing.has(name)) return [name, "absent"];
      const result = await runVirsh(uri, ["domstate", "--", name], options);
      if (result.exitCode === 0) return [name, parseDomainState(result.stdout)];
      const kind = classifyVirshFailure(result.stderr);
      // The connection worked a moment ago; a lookup failure now means the domain went away.
      if (kind === "not-found") return [name, "absent"];
      if (kind !== "other" || result.missing || result.timedOut)
        throw virshError(uri, ["domstate", name], result);
      return [name, "unknown"];
    }),
  );
  return new Map(entries);
}
