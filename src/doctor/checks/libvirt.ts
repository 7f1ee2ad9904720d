import type { DoctorContext } from "../context.js";
import { everywhere, installCommands, installPackages, START_LIBVIRT } from "../packages.js";
import type { CheckResult } from "../types.js";

/** libvirt answers at the environment's URI. */
export function checkLibvirt(context: DoctorContext): CheckResult {
  const uri = context.plan.environment.libvirt.uri;
  const reachability = context.libvirt.reachability;
  if (reachability.reachable) {
    const versions = [
      reachability.libvirtVersion && `libvirt ${reachability.libvirtVersion}`,
      reachability.hypervisor,
    ].filter(Boolean);
    return {
      id: "libvirt",
      status: "ok",
      summary: `libvirt answers at ${uri}${versions.length ? ` (${versions.join(", ")})` : ""}`,
    };
  }
  const error = reachability.error;
  if (error.code === "libvirt-permission-denied") {
    return {
      id: "libvirt",
      status: "failure",
      summary: error.message,
      code: "libvirt-permission-denied",
      fix: {
        text: "Add yourself to the libvirt group, then log out and in again (or run `newgrp libvirt`).",
        commands: everywhere("sudo usermod -aG libvirt $USER"),
      },
    };
  }
  const notInstalled = /not installed/.test(error.message);
  return {
    id: "libvirt",
    status: "failure",
    summary: error.message,
    code: "libvirt-unreachable",
    fix: notInstalled
      ? {
          text: "Install libvirt and QEMU, then start the daemon.",
          commands: installCommands("libvirt", START_LIBVIRT),
          packages: installPackages("libvirt"),
        }
      : {
          text: `Start the libvirt daemon (and install it if it is missing); then \`virsh -c ${uri} version\` answers.`,
          commands: installCommands("libvirt", START_LIBVIRT),
          packages: installPackages("libvirt"),
        },
  };
}
