import {
  type ArtifactVolumePlan,
  artifactsForEnvironment,
  artifactVolumeName,
  assertOfflineIgnition,
  type BuiltArtifactVolume,
  ensureArtifactVolume,
  planArtifactVolume,
  verifyCachedArtifact,
} from "../artifacts/index.js";
import type { Environment } from "../environment/schema.js";
import type { FluxRelease } from "../gitops/flux-release.js";
import type { LockedEnvironment } from "../lock/index.js";
import type { RenderedNodeConfig } from "../nodes/index.js";
import type { ArtifactVolume } from "../tofu/index.js";

/**
 * Whether an environment's nodes install k3s from the artifact volume instead of downloading
 * it: with `offline: true`, or whenever it says what to deliver (`artifacts: { … }`, even empty).
 * Without either, nothing changes: Ignition downloads k3s as it always did.
 */
export function usesArtifactVolume(environment: Environment): boolean {
  return environment.offline || environment.artifacts !== undefined;
}

export interface RenderArtifacts {
  readonly plan: ArtifactVolumePlan;
  readonly volume: BuiltArtifactVolume;
  /** The volume as main.tf.json uploads it, once per host with nodes. */
  readonly tofu: ArtifactVolume;
}

/**
 * The environment's artifact volume, from the verified cache: every artifact is hashed against
 * the lock first (`artifact-not-cached` when missing, `artifact-hash-mismatch` when truncated or
 * different, both located at the lock field), then the volume is built or its cached image
 * re-checked. Writes only into homelab's cache; a bad artifact never reaches a volume.
 */
export async function prepareArtifacts(
  environment: Environment,
  locked: LockedEnvironment,
  options: { readonly cacheRoot: string; readonly lockFile: string; readonly fluxRelease?: FluxRelease },
): Promise<RenderArtifacts | undefined> {
  if (!usesArtifactVolume(environment)) return undefined;
  const specs = artifactsForEnvironment(environment, locked, {
    lockFile: options.lockFile,
    ...(options.fluxRelease ? { fluxRelease: options.fluxRelease } : {}),
  });
  const verified = [];
  for (const spec of specs) verified.push(await verifyCachedArtifact(spec, options.cacheRoot));
  const plan = planArtifactVolume(specs);
  const volume = await ensureArtifactVolume(plan, verified, options.cacheRoot);
  return {
    plan,
    volume,
    tofu: {
      key: plan.key.slice(0, 12),
      volumeName: artifactVolumeName(environment.prefix, plan),
      sourcePath: volume.path,
      current: true,
    },
  };
}

/** An offline environment: no node's Ignition may name a remote source (`offline-remote-source`). */
export function assertOfflineConfigs(
  environment: Environment,
  configs: readonly RenderedNodeConfig[],
  environmentFile: string,
): void {
  if (!environment.offline) return;
  for (const config of configs) assertOfflineIgnition(config.node.name, config.ignition, environmentFile);
}
