import { access } from "node:fs/promises";
import { connectClusterApi, type NodeObject, statusColumns, statusRows } from "../../../cluster/index.js";
import { isHomelabError } from "../../../errors/index.js";
import { domainStates } from "../../../libvirt/index.js";
import type { CommandModule } from "../../command.js";
import { environmentKubeconfig } from "../../lifecycle/cluster-access.js";
import { loadPlannedEnvironment } from "../../lifecycle/environment.js";
import { environmentArgument } from "../../lifecycle/options.js";
import { table } from "../render/summary.js";

/** Why a source could not be read, in a few words. */
function reason(error: unknown): string {
  return isHomelabError(error) ? error.message : error instanceof Error ? error.message : String(error);
}

/**
 * `homelab status [ENV]`: node, role, address, VM state (libvirt), Kubernetes readiness, k3s
 * and Flatcar versions (the Node objects' nodeInfo). What cannot be read — libvirt down, no
 * kubeconfig, API unreachable — shows as `unknown` with one warning line, not an error.
 */
const command: CommandModule = {
  configure(command) {
    environmentArgument(command).addHelpText(
      "after",
      "\nReads libvirt at the environment's URI and the Kubernetes API with ~/.kube/homelab-<env>.yaml.\nChanges nothing.\n\nExamples:\n  homelab status\n  homelab status production --json",
    );
  },
  async run(args, _options, context) {
    const [environment] = args as [string];
    const planned = await loadPlannedEnvironment(context, environment);
    const { plan } = planned;
    const names = plan.nodes.map((n) => n.name);
    // Problems by source, reported in a fixed order whatever finishes first.
    const problems: { vm?: string; kubernetes?: string } = {};

    // Each host's VMs from its own libvirt; a host that does not answer leaves its nodes unknown.
    const readVms = async (): Promise<ReadonlyMap<string, string> | undefined> => {
      if (!plan.multiHost) {
        try {
          return await domainStates(plan.environment.libvirt.uri, names);
        } catch (error) {
          problems.vm = `VM states: ${reason(error)}`;
          return undefined;
        }
      }
      const failed: string[] = [];
      const states = new Map<string, string>();
      await Promise.all(
        plan.hosts.map(async (host) => {
          const onHost = plan.nodes.filter((node) => node.host === host.name).map((node) => node.name);
          if (onHost.length === 0) return;
          try {
            for (const [name, state] of await domainStates(host.uri, onHost)) states.set(name, state);
          } catch (error) {
            failed.push(`${host.name}: ${reason(error)}`);
          }
        }),
      );
      if (failed.length > 0) problems.vm = `VM states on ${failed.sort().join("; ")}`;
      return states;
    };
    const readNodes = async (): Promise<NodeObject[] | undefined> => {
      const kubeconfigPath = environmentKubeconfig(context, plan.environment.name);
      try {
        await access(kubeconfigPath);
      } catch {
        problems.kubernetes = `Kubernetes: no kubeconfig at ${kubeconfigPath} (\`homelab up\` or \`homelab kubeconfig\` writes it)`;
        return undefined;
      }
      try {
        const api = await connectClusterApi({ kubeconfigPath, requestTimeoutMs: 5000 });
        return await api.listNodes();
      } catch (error) {
        problems.kubernetes = `Kubernetes: ${reason(error)}`;
        return undefined;
      }
    };
    const [vms, nodes] = await Promise.all([readVms(), readNodes()]);
    const rows = statusRows(plan.nodes, vms, nodes);
    const columns = statusColumns(plan.multiHost);
    const unknown = [problems.vm, problems.kubernetes].filter((problem) => problem !== undefined);
    if (unknown.length > 0) context.reporter.warn(`some cells are unknown. ${unknown.join("; ")}`);
    context.reporter.result(
      { environment: plan.environment.name, nodes: rows, unknown },
      [
        plan.multiHost
          ? `${plan.environment.name} (${plan.hosts.map((host) => `${host.name} ${host.uri}`).join(", ")})`
          : `${plan.environment.name} (${plan.environment.libvirt.uri})`,
        ...table(
          [columns.map(([, title]) => title), ...rows.map((row) => columns.map(([key]) => row[key]))],
          "",
        ),
      ].join("\n"),
    );
    return 0;
  },
};

export default command;
