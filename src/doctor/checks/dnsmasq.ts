import type { DoctorContext } from "../context.js";
import { installCommands, installPackages } from "../packages.js";
import type { CheckResult } from "../types.js";

/** libvirt runs dnsmasq for the DHCP and DNS of NAT networks; without it the network cannot start. */
export async function checkDnsmasq(context: DoctorContext): Promise<CheckResult> {
  const { network } = context.plan;
  if (network.mode !== "nat") {
    return { id: "dnsmasq", status: "ok", summary: "dnsmasq not needed (bridge network)" };
  }
  if (!context.libvirt.local) {
    return { id: "dnsmasq", status: "ok", summary: "dnsmasq not checked: libvirt runs on another host" };
  }
  const path = await context.probes.which("dnsmasq");
  if (path) return { id: "dnsmasq", status: "ok", summary: `dnsmasq for the NAT network (${path})` };
  return {
    id: "dnsmasq",
    status: "failure",
    summary: "dnsmasq is not installed: libvirt cannot start the NAT network",
    code: "dnsmasq-missing",
    fix: {
      text: "Install dnsmasq (libvirt starts its own instance; do not enable the dnsmasq service).",
      commands: installCommands("dnsmasq"),
      packages: installPackages("dnsmasq"),
    },
  };
}
