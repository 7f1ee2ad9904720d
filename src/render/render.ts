import { basename, dirname, isAbsolute, join, resolve } from "node:path";
import { type EvaluationLimits, loadEnvironment } from "../environment/index.js";
import {
  type NameMismatchReport,
  nameMismatchError,
  nameMismatchReport,
} from "../environment/name-mismatch.js";
import { HomelabError } from "../errors/index.js";
import {
  ensureDeployKey,
  gitopsBootstrapFiles,
  needsDeployKey,
  resolveGitopsSettings,
} from "../gitops/index.js";
import type { LockFile } from "../lock/index.js";
import { renderNodeConfigs } from "../nodes/index.js";
import { planLoadedEnvironment } from "../plan/index.js";
import type { ClusterPlan, PlanWarning } from "../plan/types.js";
import { assertSecretDirectory, ensureK3sToken, ensureSshKeyPair } from "../secrets/index.js";
import { recordedResourceCount } from "../state/applied.js";
import { stateLayout } from "../state/layout.js";
import { nodeFilePaths, serializeTfJson, synthesizeTofu } from "../tofu/index.js";
import { checkNoSecrets, checkSynthesis } from "./checks.js";
import { diskSizeWarnings } from "./disk-size.js";
import { type SecretDirectory, unignoredSecretWarnings } from "./git-ignored.js";
import { flatcarImageCachePath } from "./image-path.js";
import { withEnvironmentLocations } from "./locate.js";
import {
  inspectOutputDir,
  markerFile,
  type OutputDirState,
  type RenderedFile,
  replaceOutputDir,
} from "./output-dir.js";
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
   * Create a missing secret (k3s token, SSH key, deploy key) even though the environment has
   * been applied (its OpenTofu state records resources). Without it such a render is refused
   * with `secret-missing`: the running nodes carry the old secret. The CLI's `--force`.
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
  /** The environment's name differs from its file's (the CLI warns once). */
  readonly nameMismatch: NameMismatchReport | undefined;
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
          `environment with new secrets: \`homelab destroy ${name}\`, then \`homelab up ${name}\` — or pass --force to ` +
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
  const { versions, warnings: lockWarnings } = await withEnvironmentLocations(loaded, () => {
    resolveGitopsSettings(environment, loaded.file);
    return resolveVersions(environment, options.lock, { environmentFile: loaded.file, lockFile });
  });

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
    gitopsBootstrapFiles({
      environment,
      plan,
      ...(deployKey ? { deployKey } : {}),
      ...(versions.flux ? { fluxVersion: versions.flux } : {}),
      environmentFile: loaded.file,
      lockFile,
    }),
  );

  const configs = renderNodeConfigs(plan, {
    k3sToken,
    // homelab's own key first (kubeconfig fetch, `homelab ssh`), then the environment's.
    sshPublicKeys: [homelabKey.publicKey.trim(), ...environment.ssh.authorizedKeys],
    k3sBinary: versions.k3s.binary,
    filesDir: dirname(loaded.absoluteFile),
    ...(bootstrap.length > 0 ? { extraFiles: new Map([[plan.firstServer.name, bootstrap]]) } : {}),
  });

  const document = synthesizeTofu(plan, {
    statePath: layout.tofuState,
    flatcarImagePath: flatcarImage,
    flatcarVersion: versions.flatcar.version,
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
    nameMismatch: await nameMismatchReport(loaded),
  };
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
