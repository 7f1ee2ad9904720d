import type { FlatcarChannel } from "../image/flatcar.js";
import type { NodeRenderer, RenderedNodeConfig } from "../nodes/index.js";
import type { ClusterPlan, NodePlan } from "../plan/types.js";
import {
  type AppliedState,
  type FirstBootRecord,
  gibToBytes,
  type MachineFacts,
  planRollout,
  preparedRestore,
  type Release,
  type Rollout,
  recordedRestores,
} from "../rollout/index.js";
import {
  type ArtifactVolume,
  type BaseImage,
  baseImageKey,
  baseVolumeName,
  diskVolumeName,
  ignitionVolumeName,
  type SynthesizedNode,
} from "../tofu/index.js";
import { flatcarImageCachePath } from "./image-path.js";

/**
 * One rollout step of a render: the rollout (what OpenTofu applied against what the
 * environment wants), the nodes and base images `main.tf.json` gets for this step, and the
 * Ignition written for each node of the environment.
 */
export interface RolloutStep {
  readonly rollout: Rollout;
  readonly synthesizedNodes: readonly SynthesizedNode[];
  readonly baseImages: readonly BaseImage[];
  /** The artifact volumes the step's machines attach: the current one, and older ones still in use. */
  readonly artifactVolumes: readonly ArtifactVolume[];
  readonly unkeyedBaseImage: string | undefined;
  /**
   * Per node of the environment, the config written to `ignition/<node>.ign`: the machine this
   * step builds or keeps, or — for a node held back — the one its own step will build.
   */
  readonly configs: readonly RenderedNodeConfig[];
}

export interface RolloutStepInputs {
  readonly plan: ClusterPlan;
  readonly render: NodeRenderer;
  readonly applied: AppliedState;
  readonly record: FirstBootRecord;
  readonly release: Release;
  readonly requested?: readonly string[];
  readonly flatcar: { readonly channel: FlatcarChannel; readonly version: string };
  /** The image of the environment's release (`var.flatcar_image`'s default). */
  readonly flatcarImage: string;
  readonly cacheRoot: string;
  /**
   * The environment's artifact volume, when its nodes install k3s from one: every machine
   * built in this step attaches it. Undefined: nodes download k3s themselves (as before).
   */
  readonly artifactVolume?: ArtifactVolume;
}

export function rolloutStep(inputs: RolloutStepInputs): RolloutStep {
  const { plan, render, applied } = inputs;
  const prefix = plan.environment.prefix;
  const byName = new Map(plan.nodes.map((node) => [node.name, node]));
  const desiredBase = baseImageKey(inputs.flatcar.channel, inputs.flatcar.version);
  const factsOf = (node: NodePlan, config: RenderedNodeConfig): MachineFacts => ({
    role: node.role,
    ignitionVolume: ignitionVolumeName(node.name, config.ignition),
    diskVolume: diskVolumeName(node.name, node.diskGiB, desiredBase),
    diskBytes: gibToBytes(node.diskGiB),
    baseImage: desiredBase,
    vcpu: node.vcpu,
    memoryKiB: node.memoryMiB * 1024,
    mac: node.mac,
    host: node.host,
    ...(inputs.artifactVolume === undefined ? {} : { artifactVolume: inputs.artifactVolume.key }),
  });
  const first = plan.firstServer.name;
  const rollout = planRollout({
    desired: plan.nodes.map((node) => ({
      name: node.name,
      role: node.role,
      index: node.index,
      first: node.name === first,
    })),
    applied,
    factsFor: (name, firstBoot) => {
      const node = byName.get(name)!;
      return factsOf(node, render(node, firstBoot));
    },
    recordedRestores: recordedRestores(inputs.record, first),
    ...withPrepared(inputs.record, first),
    release: inputs.release,
    ...(inputs.requested ? { requested: inputs.requested } : {}),
  });

  const rolloutByName = new Map(rollout.nodes.map((node) => [node.name, node]));
  const configs = plan.nodes.map((node) => {
    const entry = rolloutByName.get(node.name);
    const emitted = rollout.emitted.find((e) => e.name === node.name && e.source === "desired");
    const firstBoot = emitted?.firstBoot ??
      entry?.next?.firstBoot ??
      entry?.current ?? { kind: node.clusterInit ? "bootstrap" : "join" };
    return render(node, firstBoot);
  });

  const used = new Set(rollout.emitted.map((node) => node.facts.baseImage));
  used.add(desiredBase);
  const baseImages: BaseImage[] = [...used].sort().map((key) => ({
    key,
    volumeName: baseVolumeName(prefix, key),
    imagePath: key === desiredBase ? inputs.flatcarImage : imagePathOfKey(inputs.cacheRoot, key),
    current: key === desiredBase,
  }));
  // A machine held back keeps the volume it was built with (it read it at its first boot only,
  // but a domain's disks are part of it): the state recorded where that one was uploaded from.
  const artifactVolumes: ArtifactVolume[] = [];
  const current = inputs.artifactVolume;
  if (current) artifactVolumes.push(current);
  for (const key of new Set(rollout.emitted.flatMap((node) => node.facts.artifactVolume ?? []))) {
    if (key === current?.key) continue;
    const old = applied.artifactVolumes.find((volume) => volume.key === key);
    artifactVolumes.push({
      key,
      volumeName: old?.name ?? `${prefix}-artifacts-${key}.tar`,
      sourcePath: old?.source ?? "",
      current: false,
    });
  }
  return {
    rollout,
    synthesizedNodes: rollout.emitted.map((node) => ({ name: node.name, ...node.facts })),
    baseImages,
    artifactVolumes,
    unkeyedBaseImage: applied.baseImages.find((image) => !image.keyed)?.key,
    configs,
  };
}

function withPrepared(record: FirstBootRecord, node: string) {
  const prepared = preparedRestore(record, node);
  return prepared ? { preparedRestore: prepared } : {};
}

/** The cache path of an older release still in use (its base volume ignores it once created). */
function imagePathOfKey(cacheRoot: string, key: string): string {
  const dash = key.indexOf("-");
  const channel = key.slice(0, dash) as FlatcarChannel;
  return flatcarImageCachePath(cacheRoot, channel, key.slice(dash + 1));
}
