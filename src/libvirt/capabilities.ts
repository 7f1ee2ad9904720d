import { runVirsh, type VirshOptions, virshReason } from "./virsh.js";
import { elementText } from "./xml.js";

/** Whether libvirt can run x86_64 guests of a domain type (`kvm` or `qemu`). */
export type DomainTypeSupport =
  | { readonly supported: true; readonly emulator: string | undefined }
  | { readonly supported: false; readonly reason: string };

/**
 * Asks libvirt itself (`virsh domcapabilities --virttype <type> --arch x86_64`): it knows
 * which QEMU binary it would use and whether that binary can use KVM on this host, which is
 * more than looking at /dev/kvm. Call only after libvirtReachable said yes.
 */
export async function domainTypeSupport(
  uri: string,
  type: "kvm" | "qemu",
  options: VirshOptions = {},
): Promise<DomainTypeSupport> {
  const result = await runVirsh(uri, ["domcapabilities", "--virttype", type, "--arch", "x86_64"], options);
  if (result.exitCode !== 0) return { supported: false, reason: virshReason(result.stderr) };
  return { supported: true, emulator: elementText(result.stdout, ["path"]) };
}
