import type { DoctorContext } from "../context.js";
import { installCommands, installPackages } from "../packages.js";
import type { CheckResult } from "../types.js";

/** `homelab ssh`, the kubeconfig fetch and known_hosts handling run the OpenSSH client. */
export async function checkSsh(context: DoctorContext): Promise<CheckResult> {
  const ssh = await context.probes.which("ssh");
  const keygen = await context.probes.which("ssh-keygen");
  const keys = context.plan.environment.ssh.authorizedKeys.length;
  const keyText =
    keys === 0
      ? "no extra keys for core (homelab's own key only)"
      : `${keys} authorized key${keys === 1 ? "" : "s"} for core`;
  if (ssh && keygen) return { id: "ssh", status: "ok", summary: `OpenSSH client (${ssh}); ${keyText}` };
  const missing = [ssh ? undefined : "ssh", keygen ? undefined : "ssh-keygen"].filter(Boolean).join(" and ");
  return {
    id: "ssh",
    status: "failure",
    summary: `${missing} not found: homelab cannot reach the nodes or fetch the kubeconfig`,
    code: "ssh-client-missing",
    fix: {
      text: "Install the OpenSSH client.",
      commands: installCommands("ssh"),
      packages: installPackages("ssh"),
    },
  };
}
