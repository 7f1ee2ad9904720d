import { ARTIFACT_LIST_PATH } from "../artifacts/node-install.js";
import { decodeDataUrl, decompress } from "../ignition-diff/data-url.js";
import type { NodeRole } from "../plan/types.js";
import type { Rollout } from "../rollout/index.js";
import { flatcarVersionOfBaseImage } from "./versions.js";

/**
 * Which k3s each node's current machine runs, without asking the cluster.
 *
 * Ignition runs once and nothing on a node replaces `/opt/bin/k3s` afterwards, so a machine
 * runs exactly the binary its Ignition installed. homelab knows that Ignition two ways:
 *
 * 1. the node's applied Ignition in the state directory (`nodes/<node>/applied.ign`, written
 *    when a roll step finished): the k3s file's `verification.hash` names the binary, and its
 *    release URL the version;
 * 2. the rollout: a node the current render leaves as it is (unchanged, or only restarted) was
 *    built from exactly the Ignition this render writes — its Ignition volume's name carries a
 *    hash of it — so it runs the version the environment currently resolves to.
 *
 * This is preferred over the Node objects' `kubeletVersion`: it needs no reachable API server
 * (an upgrade is refused before anything is touched, even with the cluster down) and no
 * registered Node (a machine that never joined still has a binary). A node that is due for a
 * rebuild and has no applied Ignition is `unknown`: it may still run an older release.
 */

export interface RunningNode {
  readonly name: string;
  readonly role: NodeRole;
  /** The k3s version of its current machine, or undefined when it cannot be known. */
  readonly k3s: string | undefined;
  readonly source: "applied-ignition" | "current-render" | "unknown";
  /** The Flatcar release its disk was built from (OpenTofu's state), when it has a machine. */
  readonly flatcar: string | undefined;
}

export interface RunningInputs {
  readonly rollout: Rollout;
  /** The k3s version the current render builds (environment pin, lock, or homelab's pin). */
  readonly currentK3s: string;
  /** `nodes/<node>/applied.ign` text by node name, where the state directory has one. */
  readonly appliedIgnition: ReadonlyMap<string, string>;
  /** k3s versions by the SHA-256 of their amd64 binary (lock entry and homelab's pins). */
  readonly versionsBySha256: ReadonlyMap<string, string>;
}

interface IgnitionFile {
  readonly path?: string;
  readonly contents?: {
    readonly source?: string;
    readonly compression?: string;
    readonly verification?: { readonly hash?: string };
  };
}

/**
 * The k3s SHA-256 in a node's artifact hash list (src/artifacts/node-install.ts), for a machine
 * that installed k3s from the artifact volume: its Ignition has no /opt/bin/k3s file, only the
 * list `/opt/bin/homelab-artifacts` checks it against.
 */
function k3sHashOfArtifactList(files: readonly IgnitionFile[]): string | undefined {
  const list = files.find((file) => file.path === ARTIFACT_LIST_PATH)?.contents;
  if (list?.source === undefined) return undefined;
  const decoded = decodeDataUrl(list.source);
  const bytes = decoded.ok ? decompress(decoded.bytes, list.compression) : decoded;
  if (!bytes.ok) return undefined;
  const line = new TextDecoder()
    .decode(bytes.bytes)
    .split("\n")
    .find((entry) => / \/opt\/bin\/k3s$/.test(entry));
  return /^([0-9a-f]{64}) /.exec(line ?? "")?.[1];
}

/** The k3s version an Ignition config installs at /opt/bin/k3s, if it can be told. */
export function k3sVersionOfIgnition(
  ignition: string,
  versionsBySha256: ReadonlyMap<string, string>,
): string | undefined {
  let files: readonly IgnitionFile[];
  try {
    files = (JSON.parse(ignition) as { storage?: { files?: IgnitionFile[] } }).storage?.files ?? [];
  } catch {
    return undefined;
  }
  const binary = files.find((file) => file.path === "/opt/bin/k3s");
  const hash =
    /^sha256-([0-9a-f]{64})$/.exec(binary?.contents?.verification?.hash ?? "")?.[1] ??
    (binary === undefined ? k3sHashOfArtifactList(files) : undefined);
  const known = hash === undefined ? undefined : versionsBySha256.get(hash);
  if (known) return known;
  const source = binary?.contents?.source ?? "";
  const fromUrl = /\/releases\/download\/([^/]+)\/k3s$/.exec(source)?.[1];
  if (fromUrl === undefined) return undefined;
  const version = decodeURIComponent(fromUrl);
  return /^v\d+\.\d+\.\d+\+k3s\d+$/.test(version) ? version : undefined;
}

/** Every node that has a machine now, with what it runs. Nodes not built yet are left out. */
export function runningNodes(inputs: RunningInputs): RunningNode[] {
  const nodes: RunningNode[] = [];
  for (const node of inputs.rollout.nodes) {
    if (node.change.kind === "create" || node.applied === undefined) continue;
    const flatcar = flatcarVersionOfBaseImage(node.applied.baseImage);
    const applied = inputs.appliedIgnition.get(node.name);
    const fromIgnition =
      applied === undefined ? undefined : k3sVersionOfIgnition(applied, inputs.versionsBySha256);
    if (fromIgnition) {
      nodes.push({
        name: node.name,
        role: node.role,
        k3s: fromIgnition,
        source: "applied-ignition",
        flatcar,
      });
    } else if (node.change.kind === "unchanged" || node.change.kind === "in-place") {
      nodes.push({
        name: node.name,
        role: node.role,
        k3s: inputs.currentK3s,
        source: "current-render",
        flatcar,
      });
    } else {
      nodes.push({ name: node.name, role: node.role, k3s: undefined, source: "unknown", flatcar });
    }
  }
  return nodes;
}
