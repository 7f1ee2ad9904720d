import type { HomelabError } from "../errors/index.js";
import { runVirsh, type VirshOptions, virshError } from "./virsh.js";

/** Whether libvirt answers at a URI, and what it runs. */
export type LibvirtReachability =
  | {
      readonly reachable: true;
      /** e.g. "9.0.0" (the daemon's library version). */
      readonly libvirtVersion: string | undefined;
      /** e.g. "QEMU 7.2.22". */
      readonly hypervisor: string | undefined;
    }
  | { readonly reachable: false; readonly error: HomelabError };

/** Reads `virsh version` output. */
export function parseVirshVersion(stdout: string): {
  libvirtVersion: string | undefined;
  hypervisor: string | undefined;
} {
  const libvirtVersion = /Using library: libvirt (\S+)/.exec(stdout)?.[1];
  const hypervisor = /Running hypervisor: (.+)/.exec(stdout)?.[1]?.trim();
  return { libvirtVersion, hypervisor };
}

/**
 * Asks libvirt at `uri` for its version. Never throws: an unreachable daemon, a missing
 * permission or a missing virsh come back as `{ reachable: false, error }` with the
 * classified HomelabError (`libvirt-unreachable` / `libvirt-permission-denied`).
 */
export async function libvirtReachable(
  uri: string,
  options: VirshOptions = {},
): Promise<LibvirtReachability> {
  const result = await runVirsh(uri, ["version"], options);
  if (result.exitCode !== 0 || result.missing || result.timedOut) {
    return { reachable: false, error: virshError(uri, ["version"], result) };
  }
  return { reachable: true, ...parseVirshVersion(result.stdout) };
}
