import type { Environment } from "../environment/schema.js";
import { type LockedEnvironment, type LockFile, resolveLockedEnvironment } from "../lock/index.js";
import type { PinnedArtifact } from "../pins/index.js";
import type { PlanWarning } from "../plan/types.js";

/** What an environment resolves to: the versions and artifacts its nodes are built from. */
export interface ResolvedVersions {
  readonly flatcar: {
    readonly channel: Environment["flatcar"]["channel"];
    readonly version: string;
    /** Where the image and its signature are downloaded from, and what must have signed it. */
    readonly image: LockedEnvironment["flatcar"]["image"];
  };
  readonly k3s: { readonly version: string; readonly binary: PinnedArtifact };
  /** The Flux version, when the environment uses GitOps. */
  readonly flux?: string;
}

/**
 * The environment's versions as `homelab.lock.json` promises them (src/lock decides: the
 * environment's own pins, then its lock entry, then homelab's built-in pins; a k3s binary only
 * with a known SHA-256). Lock warnings (not locked yet, out of date) become render warnings.
 */
export function resolveVersions(
  environment: Environment,
  lock: LockFile | undefined,
  where: { readonly environmentFile: string; readonly lockFile: string },
): {
  readonly versions: ResolvedVersions;
  /** The lock entry the versions come from (what the artifacts are checked against). */
  readonly locked: LockedEnvironment;
  readonly warnings: readonly PlanWarning[];
} {
  const warnings: PlanWarning[] = [];
  const locked = resolveLockedEnvironment(environment, lock, undefined, {
    environmentFile: where.environmentFile,
    onWarning: (warning) =>
      warnings.push({ message: `${warning.message}. ${warning.fix}`, where: { file: where.lockFile } }),
  });
  return {
    versions: {
      flatcar: {
        channel: locked.flatcar.channel,
        version: locked.flatcar.version,
        image: locked.flatcar.image,
      },
      k3s: {
        version: locked.k3s.version,
        binary: { url: locked.k3s.binary.url, sha256: locked.k3s.binary.sha256 },
      },
      ...(locked.flux ? { flux: locked.flux.version } : {}),
    },
    locked,
    warnings,
  };
}
