import { HomelabError } from "../errors/index.js";
import type { ClusterPlan } from "../plan/types.js";
import type { TfJsonDocument } from "../tofu/index.js";

const DNS_LABEL = /^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/;

function invariant(condition: boolean, message: string): void {
  if (!condition) {
    throw new HomelabError("internal", `the synthesized OpenTofu configuration is inconsistent: ${message}`, {
      fix: "This is a bug in homelab. Nothing was written. Please report it with the environment file.",
    });
  }
}

/**
 * Checks the synthesized document against the plan before anything is written: what the
 * schema walk in the tests cannot see, because it depends on the plan (node keys, names that
 * end up inside OpenTofu expressions, the network and pool the nodes attach to).
 */
export function checkSynthesis(document: TfJsonDocument, plan: ClusterPlan): void {
  // One node map on a single host, one per host (`nodes_hv1`) on several: every node in exactly one.
  const maps = Object.entries(document.locals)
    .filter(([name]) => name === "nodes" || (plan.multiHost && name.startsWith("nodes_")))
    .map(([, value]) => value as Readonly<Record<string, unknown>>);
  const keys = maps.flatMap((map) => Object.keys(map));
  const nodes: Readonly<Record<string, unknown>> = Object.assign({}, ...maps);
  invariant(new Set(keys).size === keys.length, "a node is in the blocks of two hosts");
  invariant(
    keys.length === plan.nodes.length,
    `${keys.length} node keys for ${plan.nodes.length} planned nodes`,
  );
  for (const node of plan.nodes) {
    invariant(DNS_LABEL.test(node.name), `node name "${node.name}" is not a DNS label`);
    invariant(Object.hasOwn(nodes, node.name), `node "${node.name}" has no resources`);
  }
  if (plan.network.mode === "nat") {
    invariant(Boolean(plan.network.libvirtNetworkName), "a NAT network without a libvirt network name");
  } else {
    invariant(Boolean(plan.network.bridge), "bridge mode without a bridge device");
  }
  for (const { pool } of plan.hosts.length > 0 ? plan.hosts : [{ pool: plan.pool }]) {
    if (pool.existing) continue;
    invariant(pool.path?.startsWith("/") === true, `the pool path "${pool.path ?? ""}" is not absolute`);
  }
}

/**
 * Refuses to write a world-readable file that contains a secret. main.tf.json reads each
 * node's Ignition from its file at plan time, so it never needs the token or a key itself.
 */
export function checkNoSecrets(name: string, text: string, secrets: readonly string[]): void {
  // Line by line: a PEM key would leak through any one of its base64 lines.
  const needles = secrets.flatMap((secret) => secret.split("\n")).map((line) => line.trim());
  for (const needle of needles) {
    if (needle.length >= 16 && !needle.startsWith("-----") && text.includes(needle)) {
      throw new HomelabError("internal", `${name} would contain a secret`, {
        fix: "This is a bug in homelab. Nothing was written. Please report it (without the secret).",
      });
    }
  }
}
