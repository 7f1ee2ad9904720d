import type { NodePlan } from "../plan/types.js";
import type { NodeObject } from "./kube-objects.js";
import { nodeView } from "./readiness.js";

/**
 * `homelab status`: one row per node of the plan, joining what libvirt and Kubernetes say.
 * Pure. Whatever could not be read is `unknown`, never an error.
 */

export const UNKNOWN = "unknown";

export interface StatusRow {
  readonly node: string;
  readonly role: string;
  /** The libvirt host the node is placed on (`default` without `hosts`). */
  readonly host: string;
  readonly address: string;
  /** libvirt's word (`running`, `shut off`), `absent`, or unknown. */
  readonly vm: string;
  /** `Ready`, `NotReady`, `not registered`, or unknown. */
  readonly kubernetes: string;
  readonly k3s: string;
  readonly flatcar: string;
}

/** `4230.2.3` out of `Flatcar Container Linux by Kinvolk 4230.2.3 (Oklo)`. */
export function flatcarVersionOf(osImage: string | undefined): string | undefined {
  if (osImage === undefined || !/flatcar/i.test(osImage)) return osImage;
  return /\b(\d+\.\d+\.\d+)\b/.exec(osImage)?.[1] ?? osImage;
}

export function statusRows(
  nodes: readonly (Pick<NodePlan, "name" | "role" | "address"> & Partial<Pick<NodePlan, "host">>)[],
  vmStates: ReadonlyMap<string, string> | undefined,
  kubernetesNodes: readonly NodeObject[] | undefined,
): StatusRow[] {
  const byName = new Map((kubernetesNodes ?? []).map((node) => [node.metadata?.name ?? "", node]));
  return nodes.map((node) => {
    const object = byName.get(node.name);
    const view = object ? nodeView(object) : undefined;
    const kubernetes =
      kubernetesNodes === undefined
        ? UNKNOWN
        : view
          ? `${view.readiness}${view.unschedulable ? ",SchedulingDisabled" : ""}`
          : "not registered";
    return {
      node: node.name,
      role: node.role,
      host: node.host ?? "default",
      address: node.address,
      vm: vmStates?.get(node.name) ?? UNKNOWN,
      kubernetes,
      k3s: view?.kubeletVersion ?? (kubernetesNodes === undefined || view ? UNKNOWN : "-"),
      flatcar: flatcarVersionOf(view?.osImage) ?? (kubernetesNodes === undefined || view ? UNKNOWN : "-"),
    };
  });
}

/** Column titles, in column order (one host: no HOST column, as before several hosts existed). */
export const STATUS_COLUMNS: readonly (readonly [keyof StatusRow, string])[] = [
  ["node", "NODE"],
  ["role", "ROLE"],
  ["address", "ADDRESS"],
  ["vm", "VM"],
  ["kubernetes", "KUBERNETES"],
  ["k3s", "K3S"],
  ["flatcar", "FLATCAR"],
];

/** The columns of an environment's table: with several hosts, HOST after ROLE. */
export function statusColumns(multiHost: boolean): readonly (readonly [keyof StatusRow, string])[] {
  if (!multiHost) return STATUS_COLUMNS;
  return [...STATUS_COLUMNS.slice(0, 2), ["host", "HOST"], ...STATUS_COLUMNS.slice(2)];
}
