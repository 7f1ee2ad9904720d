import { HomelabError } from "../../../errors/index.js";
import { readShippedSigningKey } from "../../../image/index.js";
import {
  BUILTIN_PINS,
  LOCK_FILE_NAME,
  type LockedEnvironment,
  type LockFile,
  type LockSources,
  lockedFlatcarRelease,
  lockedK3sRelease,
  offlineFlatcarRelease,
  offlineK3sRelease,
  readLock,
  resolveLockedEnvironment,
  wantsAirgapImages,
} from "../../../lock/index.js";
import { prepareRender } from "../../../render/index.js";
import { stateLayout } from "../../../state/layout.js";
import { readIfPresent } from "../../../state/read-if-present.js";
import { planUpgrade, runningNodes, type UpgradePlan, type UpgradeRequest } from "../../../upgrade/index.js";
import type { CliContext } from "../../context.js";
import { downloadTimeouts } from "../../lifecycle/image.js";

/** What `homelab upgrade` proposes: the lock file it would write and why. */
export interface UpgradeProposal {
  readonly plan: UpgradePlan;
  /** homelab.lock.json as it would be after the upgrade (not written yet). */
  readonly lock: LockFile;
  /** Whether that differs from the file on disk. */
  readonly lockChanged: boolean;
  /** The new Flatcar release's image must be in the cache before the plan. */
  readonly flatcarChanged: boolean;
}

export interface ProposalOptions {
  readonly request: UpgradeRequest;
  readonly offline: boolean;
  readonly sources: LockSources;
}

/**
 * Reads what the environment runs (its render against the lock file on disk, OpenTofu's state
 * and the applied Ignition of each node), decides the versions (`planUpgrade`, which refuses
 * what k3s's skew rules forbid), and verifies the new artifacts the way `homelab lock --update`
 * does — k3s's published sha256, Flatcar's DIGESTS signed with the shipped key — or, with
 * `--offline`, takes them from homelab's pins. Writes nothing but missing secrets.
 */
export async function proposeUpgrade(
  context: CliContext,
  environment: string,
  options: ProposalOptions,
): Promise<UpgradeProposal> {
  const diskLock = await readLock(context.cwd);
  const current = await prepareRender({
    environment,
    cwd: context.cwd,
    home: context.paths.home,
    stateRoot: context.paths.stateRoot,
    cacheRoot: context.paths.cacheRoot,
    ...(diskLock ? { lock: diskLock } : {}),
    lockFile: LOCK_FILE_NAME,
  });
  const env = current.plan.environment;
  const layout = stateLayout(current.stateDir);
  const appliedIgnition = new Map<string, string>();
  for (const node of current.rollout.nodes) {
    const text = await readIfPresent(layout.node(node.name).appliedIgnition);
    if (text !== undefined) appliedIgnition.set(node.name, text);
  }
  const versionsBySha256 = new Map<string, string>();
  for (const [version, binary] of Object.entries(BUILTIN_PINS.k3sBinaries))
    versionsBySha256.set(binary.sha256, version);
  const locked = diskLock?.environments[env.name]?.k3s;
  if (locked) versionsBySha256.set(locked.binary.sha256, locked.version);

  const plan = planUpgrade({
    environment: env,
    environmentFile: current.environmentFile,
    lockFile: LOCK_FILE_NAME,
    current: { k3s: current.versions.k3s.version, flatcar: current.versions.flatcar.version },
    running: runningNodes({
      rollout: current.rollout,
      currentK3s: current.versions.k3s.version,
      appliedIgnition,
      versionsBySha256,
    }),
    pins: {
      k3s: BUILTIN_PINS.k3sVersion,
      flatcar: BUILTIN_PINS.flatcar[env.flatcar.channel],
      knownK3s: Object.keys(BUILTIN_PINS.k3sBinaries),
    },
    request: options.request,
  });

  const base = resolveLockedEnvironment(env, diskLock, BUILTIN_PINS, {
    environmentFile: current.environmentFile,
  });
  const k3s =
    plan.k3s.to === base.k3s.version
      ? base.k3s
      : await k3sRelease(context, plan.k3s.to, wantsAirgapImages(env), options);
  const flatcar =
    plan.flatcar.to === base.flatcar.version
      ? base.flatcar
      : await flatcarRelease(context, env.flatcar.channel, plan.flatcar.to, options);
  const next: LockedEnvironment = { ...base, k3s, flatcar };
  const lock: LockFile = {
    ...(diskLock ?? { lockfileVersion: 1 }),
    environments: { ...(diskLock?.environments ?? {}), [env.name]: next },
  };
  return {
    plan,
    lock,
    lockChanged: JSON.stringify(diskLock?.environments[env.name]) !== JSON.stringify(next),
    flatcarChanged: plan.flatcar.to !== current.versions.flatcar.version,
  };
}

function notPublished(what: string) {
  return (url: string) =>
    new HomelabError("upgrade-version-unknown", `${what} is not published: ${url} answered HTTP 404`, {
      fix: "Check the version against the project's releases (k3s: https://github.com/k3s-io/k3s/releases, Flatcar: https://www.flatcar.org/releases); homelab.lock.json was not changed.",
    });
}

async function k3sRelease(
  context: CliContext,
  version: string,
  airgapImages: boolean,
  options: ProposalOptions,
): Promise<LockedEnvironment["k3s"]> {
  if (options.offline) {
    const known = offlineK3sRelease(version, airgapImages);
    if (known) return known;
    const what = airgapImages ? `k3s ${version} (binary and air-gap images)` : `k3s ${version}`;
    throw new HomelabError("upgrade-version-unknown", `homelab ships no sha256 for ${what}`, {
      fix: `Run without --offline to read the release's published sha256, or upgrade to a version homelab pins: ${Object.keys(BUILTIN_PINS.k3sBinaries).join(", ")}.`,
    });
  }
  return context.reporter.step(`Reading the published sha256 of k3s ${version}`, () =>
    lockedK3sRelease(version, {
      airgapImages,
      fetch: (url, init) => fetch(url, init),
      sources: options.sources,
      timeouts: downloadTimeouts(context),
      notFound: notPublished(`k3s ${version}`),
    }),
  );
}

async function flatcarRelease(
  context: CliContext,
  channel: LockedEnvironment["flatcar"]["channel"],
  version: string,
  options: ProposalOptions,
): Promise<LockedEnvironment["flatcar"]> {
  if (options.offline) return offlineFlatcarRelease(channel, version);
  const signingKeys = await readShippedSigningKey();
  return context.reporter.step(`Reading the signed digests of Flatcar ${channel} ${version}`, () =>
    lockedFlatcarRelease(channel, version, {
      fetch: (url, init) => fetch(url, init),
      sources: options.sources,
      timeouts: downloadTimeouts(context),
      signingKeys,
      now: () => context.date(),
      notFound: notPublished(`Flatcar ${channel} ${version}`),
    }),
  );
}
