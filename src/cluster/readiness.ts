import type { NodeObject } from "./kube-objects.js";

/**
 * Node readiness, read from Node objects. Pure: `status` prints it, `up` and `replace` wait
 * on it.
 */

export type Readiness = "Ready" | "NotReady" | "unknown";

export interface NodeView {
  readonly name: string;
  readonly readiness: Readiness;
  /** Why it is not Ready (the condition's reason/message), when it is not. */
  readonly reason: string | undefined;
  /** k3s version, e.g. `v1.34.2+k3s1`. */
  readonly kubeletVersion: string | undefined;
  /** e.g. `Flatcar Container Linux by Kinvolk 4230.2.3 (Oklo)`. */
  readonly osImage: string | undefined;
  readonly bootId: string | undefined;
  readonly uid: string | undefined;
  readonly unschedulable: boolean;
}

/** Who a node was before it was replaced: a Node object with either of these is the old one. */
export interface NodeIdentity {
  readonly uid?: string;
  readonly bootId?: string;
}

export function nodeView(node: NodeObject): NodeView {
  const ready = node.status?.conditions?.find((condition) => condition.type === "Ready");
  const readiness: Readiness =
    ready?.status === "True" ? "Ready" : ready?.status === "False" ? "NotReady" : "unknown";
  const reason =
    readiness === "Ready"
      ? undefined
      : ready === undefined
        ? "no Ready condition reported yet"
        : readiness === "unknown"
          ? `kubelet stopped reporting${ready.reason ? ` (${ready.reason})` : ""}`
          : [ready.reason, ready.message].filter(Boolean).join(": ") || "not ready";
  return {
    name: node.metadata?.name ?? "",
    readiness,
    reason,
    kubeletVersion: node.status?.nodeInfo?.kubeletVersion || undefined,
    osImage: node.status?.nodeInfo?.osImage || undefined,
    bootId: node.status?.nodeInfo?.bootID || undefined,
    uid: node.metadata?.uid,
    unschedulable: node.spec?.unschedulable === true,
  };
}

export function nodeIdentity(node: NodeObject): NodeIdentity {
  const view = nodeView(node);
  return { uid: view.uid, bootId: view.bootId };
}

/** Whether a Node object still describes the machine that was replaced. */
export function isSameMachine(node: NodeObject, previous: NodeIdentity): boolean {
  const view = nodeView(node);
  if (previous.bootId !== undefined && view.bootId !== undefined) return previous.bootId === view.bootId;
  return previous.uid !== undefined && previous.uid === view.uid;
}

export interface ReadinessReport {
  readonly done: boolean;
  readonly ready: readonly string[];
  readonly waiting: readonly { readonly name: string; readonly why: string }[];
}

/**
 * Whether every expected node is registered, Ready, and (for replaced nodes) a new machine.
 * Nodes the environment does not name are ignored.
 */
export function evaluateReadiness(
  expected: readonly string[],
  nodes: readonly NodeObject[],
  replaced: ReadonlyMap<string, NodeIdentity> = new Map(),
): ReadinessReport {
  const byName = new Map(nodes.map((node) => [node.metadata?.name ?? "", node]));
  const ready: string[] = [];
  const waiting: { name: string; why: string }[] = [];
  for (const name of expected) {
    const node = byName.get(name);
    if (node === undefined) {
      waiting.push({ name, why: "not registered yet" });
      continue;
    }
    const previous = replaced.get(name);
    if (previous !== undefined && isSameMachine(node, previous)) {
      waiting.push({ name, why: "still the old machine's Node object" });
      continue;
    }
    const view = nodeView(node);
    if (view.readiness === "Ready") ready.push(name);
    else waiting.push({ name, why: view.reason ?? "not ready" });
  }
  return { done: waiting.length === 0, ready, waiting };
}

/** `2/3 Ready; waiting for k3s-dev-agent-2 (not registered yet)`. */
export function describeReadiness(report: ReadinessReport): string {
  const total = report.ready.length + report.waiting.length;
  const head = `${report.ready.length}/${total} Ready`;
  if (report.waiting.length === 0) return head;
  return `${head}; waiting for ${report.waiting.map((w) => `${w.name} (${w.why})`).join(", ")}`;
}
