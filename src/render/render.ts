import { basename, dirname, isAbsolute, join, resolve } from "node:path";
import type { BuiltArtifactVolume } from "../artifacts/index.js";
import { type EvaluationLimits, loadEnvironment } from "../environment/index.js";
import {
  type NameMismatchReport,
  nameMismatchError,
  nameMismatchReport,
} from "../environment/name-mismatch.js";
import { HomelabError } from "../errors/index.js";
import {
  ensureDeployKey,
  gitopsBootstrapMachine,
  needsDeployKey,
  resolveGitopsSettings,
} from "../gitops/index.js";
import type { LockFile } from "../lock/index.js";
import { createNodeRenderer } from "../nodes/index.js";
import { planLoadedEnvironment } from "../plan/index.js";
import type { ClusterPlan, PlanWarning } from "../plan/types.js";
import { rebootFiles } from "../reboots/index.js";
import { registrationFiles } from "../registration/index.js";
import {
  type AppliedState,
  type FirstBootRecord,
  parseAppliedState,
  parseFirstBootRecord,
  RELEASE_NEXT,
  type Release,
  ReleaseRefused,
  type Rollout,
} from "../rollout/index.js";
import {
  assertSecretDirectory,
  ensureK3sToken,
  ensureNodePassword,
  ensureSshKeyPair,
} from "../secrets/index.js";
import { recordedResourceCount } from "../state/applied.js";
import { stateLayout } from "../state/layout.js";
import { readIfPresent } from "../state/read-if-present.js";
import { nodeFilePaths, serializeTfJson, synthesizeTofu } from "../tofu/index.js";
import { assertOfflineConfigs, prepareArtifacts } from "./artifacts.js";
import { checkNoSecrets, checkSynthesis } from "./checks.js";
import { diskSizeWarnings } from "./disk-size.js";
import { type SecretDirectory, unignoredSecretWarnings } from "./git-ignored.js";
import { assertKnownHosts, hostLayout, NO_LAYOUT_CHANGE } from "./host-layout.js";
import { flatcarImageCachePath } from "./image-path.js";
import { withEnvironmentLocations } from "./locate.js";
import {
  inspectOutputDir,
  markerFile,
  type OutputDirState,
  type RenderedFile,
  replaceOutputDir,
} from "./output-dir.js";
import { rolloutStep } from "./rollout-step.js";
import { type ResolvedVersions, resolveVersions } from "./versions.js";

/**
 * Options of `renderEnvironment`. The library reads no environment variables: the CLI (or any
 * other caller) resolves every path and passes it here.
 */
export interface RenderOptions {
  /** An environment name (`environments/<name>.ts` under `cwd`) or a path to an environment file. */
  readonly environment: string;
  /** Where names and relative paths are resolved from (normally the repository root). */
  readonly cwd: string;
  /** The user's home directory, for `~` in SSH key and snippet paths. */
  readonly home: string;
  /**
   * Root of homelab's per-environment state directories; the environment's is
   * `<stateRoot>/<name>` (k3s token, SSH keys, OpenTofu state). Missing secrets are created there
   * (0600, once) after the environment and plan validated.
   */
  readonly stateRoot: string;
  /** Root of homelab's download cache; the Flatcar image is expected at its place there. */
  readonly cacheRoot: string;
  /** The Flatcar qcow2 image to use instead of the cache's (default of `var.flatcar_image`). */
  readonly flatcarImage?: string;
  /** Output directory; default `<cwd>/.homelab/<name>`. Relative paths resolve from `cwd`. */
  readonly outDir?: string;
  /** The parsed `homelab.lock.json`, when there is one; the environment's entry is used. */
  readonly lock?: LockFile;
  /** The lock file as the user would type it, for error locations; default `homelab.lock.json`. */
  readonly lockFile?: string;
  /**
   * Which of the rebuilds and removals due (see src/rollout) this render's `main.tf.json`
   * applies: default the next one in roll order, so that even a hand-run `tofu apply` rebuilds
   * one node per step. `homelab apply` passes each step's node explicitly.
   */
  readonly release?: Release;
  /** Nodes to rebuild although nothing about them changed (`homelab replace`). */
  readonly requested?: readonly string[];
  /**
   * Create a missing secret (k3s token, SSH key, deploy key) even though the environment has
   * been applied (its OpenTofu state records resources). Without it such a render is refused
   * with `secret-missing`: the running nodes carry the old secret. The CLI's `--new-secrets`.
   */
  readonly allowNewSecrets?: boolean;
  /**
   * An environment whose `name` differs from its file's name: "error" refuses it before anything
   * is written (commands that change something), "warning" (default) reports it in `nameMismatch`.
   */
  readonly nameMismatch?: "error" | "warning";
  /** Limits of evaluating the environment files (time, memory, sizes); homelab's defaults otherwise. */
  readonly limits?: Partial<EvaluationLimits>;
}

export interface RenderResult {
  readonly plan: ClusterPlan;
  /** The environment file as the user would type it. */
  readonly environmentFile: string;
  readonly outDir: string;
  /** The environment's state directory (`<stateRoot>/<name>`). */
  readonly stateDir: string;
  readonly versions: ResolvedVersions;
  /** Absolute path of the Flatcar image `var.flatcar_image` defaults to. */
  readonly flatcarImage: string;
  /** Paths written, relative to `outDir`, sorted. */
  readonly files: readonly string[];
  /** Plan warnings, then anything render noticed (never errors). */
  readonly warnings: readonly PlanWarning[];
  /** What OpenTofu last applied (from its state file) and the rollout against it. */
  readonly applied: AppliedState;
  readonly rollout: Rollout;
  /** The first-boot record this render read (see rollout/first-boot-record.ts). */
  readonly firstBootRecord: FirstBootRecord;
  /** Per node of the environment: the Ignition written to `ignition/<node>.ign`. */
  readonly ignition: ReadonlyMap<string, string>;
  /** The environment's name differs from its file's (the CLI warns once). */
  readonly nameMismatch: NameMismatchReport | undefined;
  /** The artifact volume every node attaches (undefined: nodes download k3s themselves). */
  readonly artifactVolume: BuiltArtifactVolume | undefined;
}

/** Everything a render would write, validated, before anything is written. */
export interface PreparedRender extends Omit<RenderResult, "files"> {
  readonly contents: readonly RenderedFile[];
  readonly outDirState: OutputDirState;
}

/** What a secret that went missing means for nodes that were built with it. */
const CONSEQUENCES: Record<string, string> = {
  "k3s token": "new nodes would get a new token and could not join the running cluster",
  "SSH private key":
    "the nodes trust the old key, so homelab could no longer log in to them (kubeconfig, `homelab ssh`)",
};

/**
 * The refusal to create a secret for an environment that has been applied: its nodes were
 * built with the secret that is gone, and a new one would silently split the cluster.
 */
function refuseNewSecretOfAppliedEnvironment(name: string, layout: ReturnType<typeof stateLayout>) {
  return async (path: string, what: string): Promise<void> => {
    const resources = await recordedResourceCount(layout.tofuState);
    if (resources === 0) return;
    const deploy = path === layout.deployPrivateKey;
    const consequence = deploy
      ? "Flux on the nodes uses the old deploy key; a new one must be registered with the Git host again"
      : (CONSEQUENCES[what] ?? "the nodes carry the old one");
    throw new HomelabError(
      "secret-missing",
      `the ${deploy ? "Flux deploy key" : what} ${path} is missing, but ${name} has been applied (${layout.tofuState} records ${resources ?? "some"} resources): ${consequence}`,
      {
        where: { file: path },
        fix:
          `Restore ${path} (and its .pub) from a backup of ${layout.dir}. If it is lost for good, rebuild the ` +
          `environment with new secrets: \`homelab destroy ${name}\`, then \`homelab up ${name}\` — or pass --new-secrets to ` +
          "create a new one now and replace every node afterwards (`homelab replace NODE`).",
      },
    );
  };
}

/**
 * Where render puts secrets: the generations next to the output directory (Ignition holds the
 * token) and the state root (token, SSH keys, OpenTofu state). See git-ignored.ts.
 */
function secretDirectories(outDir: string, stateRoot: string): SecretDirectory[] {
  const generations = join(dirname(outDir), `.${basename(outDir)}.gen-*`);
  return [
    {
      path: join(dirname(outDir), `.${basename(outDir)}.gen-0-0`),
      shown: `${outDir} (and ${generations})`,
      holds: "the rendered Ignition files (with the k3s token)",
      move: "render outside the repository (the default .homelab/<env> is ignored by the shipped .gitignore)",
      ignore: [outDir, `${generations}/`],
    },
    {
      path: stateRoot,
      holds: "homelab's state (the k3s token, SSH keys, OpenTofu state)",
      move: "point HOMELAB_STATE_DIR outside the repository (the default is ~/.local/state/homelab)",
      ignore: [`${stateRoot}/`],
    },
  ];
}

const SECRET_MODE = 0o600;
const PUBLIC_MODE = 0o644;

/**
 * Loads, validates and renders an environment in memory: plan, node Butane and Ignition,
 * OpenTofu JSON. Writes nothing but missing secrets in the environment's state directory (only
 * after the environment and its plan are valid). Throws a located HomelabError on bad input.
 */
export async function prepareRender(options: RenderOptions): Promise<PreparedRender> {
  // The environment and its siblings (for clash checks) are evaluated in one child process.
  const loaded = await loadEnvironment(options.environment, {
    cwd: options.cwd,
    home: options.home,
    siblings: true,
    cacheDir: join(options.cacheRoot, "jiti"),
    ...(options.limits ? { limits: options.limits } : {}),
  });
  if (options.nameMismatch === "error") {
    const refusal = await nameMismatchError(loaded);
    if (refusal) throw refusal;
  }
  const environment = loaded.environment;
  const plan = await planLoadedEnvironment(loaded, { siblings: loaded.siblings });
  const lockFile = options.lockFile ?? "homelab.lock.json";
  const {
    versions,
    locked,
    warnings: lockWarnings,
  } = await withEnvironmentLocations(loaded, () => {
    resolveGitopsSettings(environment, loaded.file);
    return resolveVersions(environment, options.lock, { environmentFile: loaded.file, lockFile });
  });

  // The artifacts the nodes install from their volume, verified before anything is written.
  const artifacts = await prepareArtifacts(environment, locked, { cacheRoot: options.cacheRoot, lockFile });

  const outDir = resolve(options.cwd, options.outDir ?? join(".homelab", environment.name));
  const outDirState = await inspectOutputDir(outDir, environment.name);
  const flatcarImage = options.flatcarImage
    ? resolve(options.cwd, options.flatcarImage)
    : flatcarImageCachePath(options.cacheRoot, versions.flatcar.channel, versions.flatcar.version);

  // Secrets: created once per environment, reused by every render (same inputs, same bytes).
  const stateDir = join(options.stateRoot, environment.name);
  const gitWarnings = await unignoredSecretWarnings(
    secretDirectories(outDir, options.stateRoot),
    options.home,
  );
  const layout = stateLayout(stateDir);
  await assertSecretDirectory(stateDir);
  await assertSecretDirectory(dirname(layout.tofuState));
  const secretOptions = {
    onMissing: options.allowNewSecrets
      ? undefined
      : refuseNewSecretOfAppliedEnvironment(environment.name, layout),
  };
  const k3sToken = await ensureK3sToken(layout.k3sToken, secretOptions);
  const homelabKey = await ensureSshKeyPair(
    {
      privateKeyPath: layout.sshPrivateKey,
      publicKeyPath: layout.sshPublicKey,
      comment: `homelab@${environment.name}`,
    },
    secretOptions,
  );
  const deployKey = needsDeployKey(environment)
    ? await ensureDeployKey(layout, environment.name, secretOptions)
    : undefined;
  const bootstrap = await withEnvironmentLocations(loaded, () =>
    gitopsBootstrapMachine({
      environment,
      plan,
      ...(deployKey ? { deployKey } : {}),
      ...(versions.flux ? { fluxVersion: versions.flux } : {}),
      environmentFile: loaded.file,
      lockFile,
    }),
  );

  const applied = parseAppliedState(
    await readIfPresent(layout.tofuState),
    environment.prefix,
    layout.tofuState,
    // Plain-named resources are the single-host layout's: on the first host.
    plan.hosts[0] === undefined ? {} : { unsuffixedHost: plan.hosts[0].name },
  );
  assertKnownHosts(plan, applied, loaded.file);
  const firstBootRecord = parseFirstBootRecord(
    await readIfPresent(layout.firstBootRecord),
    layout.firstBootRecord,
  );
  const nodePasswords = new Map<string, string>();
  for (const node of plan.nodes)
    nodePasswords.set(node.name, await ensureNodePassword(layout.node(node.name).password, node.name));
  const render = createNodeRenderer(plan, {
    k3sToken,
    // homelab's own key first (kubeconfig fetch, `homelab ssh`), then the environment's.
    sshPublicKeys: [homelabKey.publicKey.trim(), ...environment.ssh.authorizedKeys],
    k3sBinary: versions.k3s.binary,
    filesDir: dirname(loaded.absoluteFile),
    nodePasswords,
    // Identical on every server: the registration address's kube-vip and the reboots' kured.
    serverFiles: [...registrationFiles(plan), ...rebootFiles(plan)],
    // With GitOps, the bootstrapping machine installs Flux once and then hands it over to itself.
    bootstrapFiles: bootstrap.files,
    bootstrapUnits: bootstrap.units,
    ...(artifacts ? { artifacts: artifacts.plan } : {}),
  });
  const step = withStepLocations(loaded.file, () =>
    rolloutStep({
      plan,
      render,
      applied,
      record: firstBootRecord,
      release: options.release ?? RELEASE_NEXT,
      ...(options.requested ? { requested: options.requested } : {}),
      flatcar: { channel: versions.flatcar.channel, version: versions.flatcar.version },
      flatcarImage,
      cacheRoot: options.cacheRoot,
      ...(artifacts ? { artifactVolume: artifacts.tofu } : {}),
    }),
  );
  const configs = step.configs;
  assertOfflineConfigs(environment, configs, loaded.file);

  const synthesis = {
    statePath: layout.tofuState,
    nodes: step.synthesizedNodes,
    baseImages: step.baseImages,
    artifactVolumes: step.artifactVolumes,
    ...(step.unkeyedBaseImage === undefined ? {} : { unkeyedBaseImage: step.unkeyedBaseImage }),
  };
  // Moving between the one-host and the several-hosts layout needs the document's targets first.
  let document = synthesizeTofu(plan, synthesis);
  const layoutChange = hostLayout(plan, applied, document);
  if (layoutChange !== NO_LAYOUT_CHANGE)
    document = synthesizeTofu(plan, {
      ...synthesis,
      moved: layoutChange.moved,
      stateProviders: layoutChange.stateProviders,
    });
  checkSynthesis(document, plan);
  const mainTfJson = serializeTfJson(document);
  const secrets = [k3sToken, homelabKey.privateKey, ...(deployKey ? [deployKey.privateKey] : [])];
  checkNoSecrets("main.tf.json", mainTfJson, secrets);

  const contents: RenderedFile[] = [
    { path: "main.tf.json", contents: mainTfJson, mode: PUBLIC_MODE },
    markerFile(environment.name),
  ];
  for (const config of configs) {
    const paths = nodeFilePaths(config.node.name);
    contents.push({ path: paths.ignition, contents: config.ignition, mode: SECRET_MODE });
    contents.push({ path: paths.butane, contents: config.butane, mode: SECRET_MODE });
  }
  if (configs.length !== plan.nodes.length) {
    throw new HomelabError(
      "internal",
      `node configs were rendered for ${configs.length} of ${plan.nodes.length} nodes`,
    );
  }
  contents.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));

  return {
    plan,
    environmentFile: loaded.file,
    outDir,
    outDirState,
    stateDir,
    versions,
    flatcarImage,
    contents,
    // plan.warnings already holds the loader's warnings, located.
    warnings: [...plan.warnings, ...lockWarnings, ...diskSizeWarnings(plan, loaded.file), ...gitWarnings],
    applied,
    rollout: step.rollout,
    firstBootRecord,
    ignition: new Map(configs.map((config) => [config.node.name, config.ignition])),
    nameMismatch: await nameMismatchReport(loaded),
    artifactVolume: artifacts?.volume,
  };
}

/** A release the rollout refuses is bad command-line input: say which and why. */
function withStepLocations<T>(file: string, work: () => T): T {
  try {
    return work();
  } catch (error) {
    if (error instanceof ReleaseRefused)
      throw new HomelabError("replace-refused", error.message, {
        where: { file },
        fix: "Rebuild servers one at a time (`homelab replace <server>`), and only nodes of this environment.",
      });
    throw error;
  }
}

/**
 * `homelab render` as a library call (also the first step of plan, apply and up): validates
 * everything, then replaces the render directory atomically with `main.tf.json`,
 * `ignition/<node>.ign` and `butane/<node>.bu`. Bad input leaves the directory exactly as it
 * was. Never touches OpenTofu state.
 */
export async function renderEnvironment(options: RenderOptions): Promise<RenderResult> {
  if (!isAbsolute(options.cwd))
    throw new HomelabError("internal", `renderEnvironment needs an absolute cwd, got ${options.cwd}`);
  const prepared = await prepareRender(options);
  const leftoverWarnings = await replaceOutputDir(prepared.outDir, prepared.outDirState, prepared.contents);
  const { contents, outDirState: _state, ...result } = prepared;
  return {
    ...result,
    files: contents.map((file) => file.path),
    warnings: [
      ...prepared.warnings,
      ...leftoverWarnings.map((message) => ({
        message,
        where: { file: prepared.outDir },
        code: "render-cleanup-failed" as const,
      })),
    ],
  };
}
