import type { DoctorContext } from "../context.js";
import { everywhere, installCommands, installPackages } from "../packages.js";
import type { CheckResult } from "../types.js";

const QEMU_BINARIES = ["qemu-system-x86_64", "qemu-kvm"];
const FEDORA_QEMU = "/usr/libexec/qemu-kvm";

const KVM_FIX = {
  text:
    "Enable virtualization (VT-x / AMD-V) in the firmware and load the KVM module; inside a VM, enable nested " +
    'virtualization. Or set `machine: { type: "qemu" }` in the environment (software emulation: works, but slowly).',
  commands: everywhere("sudo modprobe kvm_intel   # or: sudo modprobe kvm_amd", "ls -l /dev/kvm"),
};

/** QEMU is installed and, for `machine.type: "kvm"`, KVM is usable — asked of libvirt when it answers. */
export async function checkVirtualization(context: DoctorContext): Promise<CheckResult> {
  const type = context.plan.environment.machine.type;
  const { domainType, local } = context.libvirt;
  if (domainType?.supported) {
    const emulator = domainType.emulator ? ` with ${domainType.emulator}` : "";
    return type === "kvm"
      ? { id: "virtualization", status: "ok", summary: `KVM guests supported${emulator}` }
      : {
          id: "virtualization",
          status: "ok",
          summary: `software-emulated (TCG) guests supported${emulator}`,
          notes: ['machine.type is "qemu": no KVM needed, but nodes run several times slower'],
        };
  }
  // libvirt answered "no", or could not be asked: look at the files to say why.
  const kvmDevice = await context.probes.stat("/dev/kvm");
  let qemu: string | undefined;
  for (const binary of QEMU_BINARIES) qemu ??= await context.probes.which(binary);
  if (!qemu && (await context.probes.stat(FEDORA_QEMU))?.kind === "file") qemu = FEDORA_QEMU;
  const askedLibvirt = domainType !== undefined;
  const reason = domainType && !domainType.supported ? domainType.reason : undefined;
  if (!qemu && local) {
    return {
      id: "virtualization",
      status: "failure",
      summary: `QEMU for x86_64 guests is not installed${reason ? ` (libvirt: ${reason})` : ""}`,
      code: "qemu-missing",
      fix: {
        text: "Install QEMU, then restart libvirtd so that it finds it.",
        commands: installCommands("qemu", everywhere("sudo systemctl restart libvirtd")),
        packages: installPackages("qemu"),
      },
    };
  }
  if (type === "kvm" && (askedLibvirt || kvmDevice?.kind !== "char-device")) {
    const what =
      kvmDevice?.kind === "char-device"
        ? "/dev/kvm exists, but libvirt cannot use KVM"
        : "/dev/kvm does not exist";
    return {
      id: "virtualization",
      status: "failure",
      summary: `KVM is not usable: ${what}${reason ? ` (libvirt: ${reason})` : ""}`,
      code: "kvm-unavailable",
      fix: KVM_FIX,
    };
  }
  if (askedLibvirt) {
    return {
      id: "virtualization",
      status: "failure",
      summary: `libvirt cannot run ${type} guests: ${reason ?? "no reason given"}`,
      code: "qemu-missing",
      fix: {
        text: "Install QEMU for x86_64, then restart libvirtd.",
        commands: installCommands("qemu", everywhere("sudo systemctl restart libvirtd")),
        packages: installPackages("qemu"),
      },
    };
  }
  return {
    id: "virtualization",
    status: "warning",
    summary: `${qemu ? `QEMU at ${qemu}` : "QEMU not checked (remote URI)"}${type === "kvm" ? ", /dev/kvm present" : ""}; libvirt could not be asked`,
    notes: ["checked files only, because libvirt did not answer; run doctor again once it does"],
  };
}
