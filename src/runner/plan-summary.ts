import { z } from "zod";
import { HomelabError } from "../errors/index.js";

/**
 * What a saved plan will do, read from `tofu show -json <planfile>`: the counts tofu prints
 * ("N to add, M to change, K to destroy") and the same changes grouped by node, so that a
 * user confirms "replace k3s-dev-agent-1 because its Ignition changed", not a list of
 * resource addresses. Pure: the JSON in, the summary out.
 */

const ResourceChangeSchema = z.looseObject({
  address: z.string(),
  mode: z.enum(["managed", "data"]).default("managed"),
  type: z.string(),
  name: z.string(),
  index: z.union([z.string(), z.number()]).optional(),
  action_reason: z.string().optional(),
  change: z.looseObject({
    actions: z.array(z.string()),
    replace_paths: z.array(z.array(z.union([z.string(), z.number()]))).optional(),
  }),
});

const PlanJsonSchema = z.looseObject({
  format_version: z.string().optional(),
  resource_changes: z.array(ResourceChangeSchema).default([]),
  output_changes: z.record(z.string(), z.looseObject({ actions: z.array(z.string()) })).default({}),
  errored: z.boolean().optional(),
});

export type ResourceAction = "create" | "update" | "delete" | "replace" | "read" | "forget";
export type NodeAction = "create" | "update" | "destroy" | "replace";

export interface ResourceChangeSummary {
  readonly address: string;
  readonly type: string;
  readonly action: ResourceAction;
  /** The node this resource belongs to: its `for_each` key, when that key is a node name. */
  readonly node: string | undefined;
  /** Why, in words, for replacements and deletions. */
  readonly reason: string | undefined;
}

export interface NodeChangeSummary {
  readonly node: string;
  readonly action: NodeAction;
  readonly reasons: readonly string[];
  readonly addresses: readonly string[];
}

export interface PlanSummary {
  /** As tofu counts them: a replacement is one add and one destroy. */
  readonly add: number;
  readonly change: number;
  readonly destroy: number;
  /** Resources replaced (delete + create in one plan). */
  readonly replace: number;
  readonly outputsChanged: number;
  readonly noChanges: boolean;
  readonly resources: readonly ResourceChangeSummary[];
  /** Per node, in the order of `nodeNames` (then any other for_each key met). */
  readonly nodes: readonly NodeChangeSummary[];
  /**
   * Nodes whose Ignition changes while the node itself is not replaced. Ignition runs once, so
   * such a node would silently keep its old configuration: the plan is unsafe to apply as is.
   */
  readonly staleIgnition: readonly string[];
}

/** Text for the action reasons OpenTofu and Terraform report in plan JSON. */
const REASONS: Readonly<Record<string, string>> = {
  replace_because_tainted: "tainted: an earlier apply did not finish it",
  replace_by_request: "replacement requested (-replace)",
  replace_by_triggers: "replace_triggered_by: something it depends on is replaced",
  replace_because_cannot_update: "an attribute that cannot change in place changed",
  delete_because_no_resource_config: "no longer in the configuration",
  delete_because_each_key: "its for_each key is no longer in the configuration",
  delete_because_count_index: "its count index is no longer in the configuration",
  delete_because_wrong_repetition: "its repetition mode changed",
  delete_because_no_module: "its module is no longer in the configuration",
  delete_because_no_move_target: "its moved target is no longer in the configuration",
};

const IGNITION_CHANGED = "Ignition changed (Ignition runs only at first boot, so the node is rebuilt)";

function classify(actions: readonly string[]): ResourceAction | "no-op" {
  if (actions.includes("delete") && actions.includes("create")) return "replace";
  if (actions.includes("create")) return "create";
  if (actions.includes("delete")) return "delete";
  if (actions.includes("update")) return "update";
  if (actions.includes("read")) return "read";
  if (actions.includes("forget")) return "forget";
  return "no-op";
}

function isIgnitionResource(type: string, name: string): boolean {
  return type.includes("ignition") || name.includes("ignition");
}

function describeReason(
  actionReason: string | undefined,
  replacePaths: readonly (readonly (string | number)[])[],
): string | undefined {
  if (actionReason === undefined) return undefined;
  const text = REASONS[actionReason] ?? actionReason;
  if (actionReason === "replace_because_cannot_update" && replacePaths.length > 0) {
    return `changed: ${replacePaths.map((path) => path.join(".")).join(", ")} (cannot change in place)`;
  }
  return text;
}

function nodeAction(actions: readonly ResourceAction[]): NodeAction {
  if (actions.includes("replace")) return "replace";
  const creates = actions.includes("create");
  const deletes = actions.includes("delete");
  if (creates && deletes) return "replace";
  if (creates && actions.every((a) => a === "create" || a === "read")) return "create";
  if (deletes && actions.every((a) => a === "delete" || a === "forget")) return "destroy";
  return "update";
}

/**
 * Parses `show -json` output (text, or already parsed); a malformed document means an
 * unsupported tofu/terraform.
 */
export function parsePlanJson(document: unknown): z.output<typeof PlanJsonSchema> {
  let value = document;
  if (typeof document === "string") {
    try {
      value = JSON.parse(document);
    } catch (error) {
      throw new HomelabError("tofu-failed", "`show -json` did not print JSON", {
        cause: error,
        fix: "Check that the tofu/terraform binary is OpenTofu ≥ 1.6 or Terraform ≥ 1.5.",
      });
    }
  }
  const parsed = PlanJsonSchema.safeParse(value);
  if (!parsed.success) {
    throw new HomelabError("tofu-failed", "`show -json` printed a plan homelab cannot read", {
      fix: "Check that the tofu/terraform binary is OpenTofu ≥ 1.6 or Terraform ≥ 1.5.",
      details: parsed.error.issues.map((issue) => ({ message: `${issue.path.join(".")}: ${issue.message}` })),
    });
  }
  return parsed.data;
}

/**
 * Summarises a plan. `nodeNames` are the environment's node names: a resource whose
 * `for_each` key is one of them belongs to that node (stable addresses are keyed by node name,
 * e.g. `libvirt_domain.node["k3s-dev-agent-1"]`). A destroyed node no longer in the
 * environment still has a string key; `otherKeysAreNodes` (default true) counts those too.
 */
export function summarizePlan(
  planJson: unknown,
  nodeNames: readonly string[],
  options: { readonly otherKeysAreNodes?: boolean } = {},
): PlanSummary {
  const plan = parsePlanJson(planJson);
  const known = new Set(nodeNames);
  const otherKeysAreNodes = options.otherKeysAreNodes ?? true;
  let add = 0;
  let change = 0;
  let destroy = 0;
  let replace = 0;
  const resources: ResourceChangeSummary[] = [];
  const ignitionTouched = new Set<string>();
  for (const entry of plan.resource_changes) {
    if (entry.mode !== "managed") continue;
    const action = classify(entry.change.actions);
    if (action === "no-op" || action === "read") continue;
    if (action === "create") add++;
    else if (action === "update") change++;
    else if (action === "delete") destroy++;
    else if (action === "replace") {
      add++;
      destroy++;
      replace++;
    }
    const key = typeof entry.index === "string" ? entry.index : undefined;
    const node = key !== undefined && (known.has(key) || otherKeysAreNodes) ? key : undefined;
    if (
      node !== undefined &&
      isIgnitionResource(entry.type, entry.name) &&
      (action === "update" || action === "replace")
    ) {
      ignitionTouched.add(node);
    }
    resources.push({
      address: entry.address,
      type: entry.type,
      action,
      node,
      reason: describeReason(entry.action_reason, entry.change.replace_paths ?? []),
    });
  }

  const byNode = new Map<string, ResourceChangeSummary[]>();
  for (const name of nodeNames) byNode.set(name, []);
  for (const resource of resources) {
    if (resource.node === undefined) continue;
    const list = byNode.get(resource.node) ?? [];
    list.push(resource);
    byNode.set(resource.node, list);
  }
  const nodes: NodeChangeSummary[] = [];
  for (const [node, list] of byNode) {
    if (list.length === 0) continue;
    const action = nodeAction(list.map((r) => r.action));
    const reasons: string[] = [];
    if (action === "replace" && ignitionTouched.has(node)) reasons.push(IGNITION_CHANGED);
    for (const resource of list) {
      if (resource.reason !== undefined && (resource.action === "replace" || resource.action === "delete")) {
        reasons.push(`${resource.address}: ${resource.reason}`);
      }
    }
    nodes.push({ node, action, reasons, addresses: list.map((r) => r.address) });
  }
  const staleIgnition = [...ignitionTouched].filter(
    (node) => nodes.find((n) => n.node === node)?.action !== "replace",
  );
  const outputsChanged = Object.values(plan.output_changes).filter(
    (o) => classify(o.actions) !== "no-op",
  ).length;
  return {
    add,
    change,
    destroy,
    replace,
    outputsChanged,
    noChanges: resources.length === 0 && outputsChanged === 0,
    resources,
    nodes,
    staleIgnition,
  };
}

/** The human rendering printed before the confirmation question. */
export function formatPlanSummary(summary: PlanSummary): string {
  if (summary.noChanges) return "No changes: the infrastructure matches the configuration.";
  const lines = [`Plan: ${summary.add} to add, ${summary.change} to change, ${summary.destroy} to destroy.`];
  const section = (title: string, action: NodeAction, withReasons: boolean) => {
    const matching = summary.nodes.filter((n) => n.action === action);
    if (matching.length === 0) return;
    lines.push(`${title}:`);
    for (const node of matching) {
      lines.push(`  ${node.node}`);
      if (withReasons) for (const reason of node.reasons) lines.push(`    - ${reason}`);
    }
  };
  section("Nodes replaced (new disk, new VM; the old one is deleted)", "replace", true);
  section("Nodes created", "create", false);
  section("Nodes destroyed", "destroy", true);
  section("Nodes changed in place", "update", false);
  const other = summary.resources.filter((r) => r.node === undefined);
  if (other.length > 0) {
    lines.push("Other resources:");
    for (const resource of other)
      lines.push(
        `  ${resource.action.padEnd(7)} ${resource.address}${resource.reason ? ` (${resource.reason})` : ""}`,
      );
  }
  return lines.join("\n");
}
