import { mkdir } from "node:fs/promises";
import {
  decodeIgnition,
  diffIgnition,
  formatIgnitionDiff,
  type IgnitionDiffJson,
  summarizeIgnitionDiff,
  toJson,
} from "../../ignition-diff/index.js";
import type { RenderResult } from "../../render/index.js";
import { readSecretFile, writeSecretFileAtomic } from "../../secrets/index.js";
import type { StateLayout } from "../../state/layout.js";
import { ignitionVolumeName } from "../../tofu/index.js";

/**
 * What changes in each rebuilt node's Ignition, against what its machine booted with. The
 * Ignition a machine was built from is kept in the state directory
 * (`nodes/<node>/applied.ign`, 0600) when homelab applies it; it counts only while its hash is
 * the one in the machine's Ignition volume name in OpenTofu's state, so a copy that does not
 * describe the running machine is never shown as if it did. Secrets are masked by the diff.
 */

export type IgnitionChange =
  | {
      readonly node: string;
      readonly known: true;
      readonly summary: string;
      /** The human difference, indented for the plan's node list. */
      readonly text: string;
      readonly json: IgnitionDiffJson;
    }
  | { readonly node: string; readonly known: false; readonly why: string };

/** Every secret of the environment that could appear in an Ignition config. */
async function environmentSecrets(layout: StateLayout, nodes: readonly string[]): Promise<string[]> {
  const files = [
    layout.k3sToken,
    layout.sshPrivateKey,
    layout.deployPrivateKey,
    ...nodes.map((node) => layout.node(node).password),
  ];
  const secrets: string[] = [];
  for (const file of files) {
    const text = await readSecretFile(file).catch(() => undefined);
    if (text?.trim()) secrets.push(text.trim());
  }
  return secrets;
}

export async function ignitionChanges(render: RenderResult, layout: StateLayout): Promise<IgnitionChange[]> {
  const rebuilt = render.rollout.nodes.filter(
    (node) => node.change.kind === "replace" && node.change.causes.some((cause) => cause.kind === "ignition"),
  );
  if (rebuilt.length === 0) return [];
  const secrets = await environmentSecrets(
    layout,
    render.rollout.nodes.map((node) => node.name),
  );
  const changes: IgnitionChange[] = [];
  for (const node of rebuilt) {
    const after = render.ignition.get(node.name);
    if (after === undefined || !node.applied) continue;
    const before = await readSecretFile(layout.node(node.name).appliedIgnition).catch(() => undefined);
    if (before === undefined || ignitionVolumeName(node.name, before) !== node.applied.ignitionVolume) {
      changes.push({
        node: node.name,
        known: false,
        why: "the Ignition its machine booted with is not kept (built before homelab kept it, or by hand)",
      });
      continue;
    }
    const decodedBefore = decodeIgnition(before);
    const decodedAfter = decodeIgnition(after);
    if (!decodedBefore.ok || !decodedAfter.ok) {
      const error = decodedBefore.ok
        ? decodedAfter.ok
          ? undefined
          : decodedAfter.error
        : decodedBefore.error;
      changes.push({
        node: node.name,
        known: false,
        why: `its Ignition cannot be read (${error?.path}: ${error?.message})`,
      });
      continue;
    }
    const diff = diffIgnition(decodedBefore.config, decodedAfter.config, { secrets });
    changes.push({
      node: node.name,
      known: true,
      summary: summarizeIgnitionDiff(diff),
      text: formatIgnitionDiff(diff, { indent: 7 }),
      json: toJson(diff),
    });
  }
  return changes;
}

/** Keeps the Ignition each node's machine now runs (after an apply that built or kept it). */
export async function recordAppliedIgnition(
  render: RenderResult,
  layout: StateLayout,
  nodes: readonly string[],
): Promise<void> {
  for (const node of nodes) {
    const ignition = render.ignition.get(node);
    if (ignition === undefined) continue;
    const files = layout.node(node);
    await mkdir(files.dir, { recursive: true, mode: 0o700 });
    await writeSecretFileAtomic(files.appliedIgnition, ignition);
  }
}

/** The lines `formatRollout` prints under each rebuilt node. */
export function ignitionLines(changes: readonly IgnitionChange[]): Map<string, string[]> {
  return new Map(
    changes.map((change) => [
      change.node,
      change.known
        ? [`         ${change.summary}`, ...change.text.split("\n").filter((line) => line !== "")]
        : [`         (${change.why})`],
    ]),
  );
}

/** The Ignition differences for `--json`, per node. */
export function ignitionData(changes: readonly IgnitionChange[]): Record<string, unknown> {
  return Object.fromEntries(
    changes.map((change) => [
      change.node,
      change.known ? { summary: change.summary, diff: change.json } : { unknown: change.why },
    ]),
  );
}
