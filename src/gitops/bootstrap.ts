import type { Environment } from "../environment/schema.js";
import { HomelabError } from "../errors/index.js";
import type { ClusterPlan } from "../plan/types.js";
import { DEFAULT_FLUX_VERSION, FLUX_RELEASES, type FluxRelease } from "./flux-release.js";
import { DEPLOY_KEY_SECRET_NAME, deployKeySecretManifest, syncManifest } from "./manifests.js";
import { resolveGitopsSettings } from "./settings.js";

/** k3s applies every manifest in this directory of a server, and re-applies it when it changes. */
export const K3S_MANIFESTS_DIR = "/var/lib/rancher/k3s/server/manifests";

/** Where the bootstrap's files land on the first server. */
export const BOOTSTRAP_PATHS = {
  fluxInstall: `${K3S_MANIFESTS_DIR}/homelab-flux-install.yaml`,
  deployKey: `${K3S_MANIFESTS_DIR}/homelab-flux-deploy-key.yaml`,
  sync: `${K3S_MANIFESTS_DIR}/homelab-flux-sync.yaml`,
} as const;

/** Only root (k3s) reads them: one holds the deploy key, and none needs to be public. */
export const BOOTSTRAP_FILE_MODE = 0o600;

/** A file written by Ignition with its contents inline. */
export interface InlineBootstrapFile {
  readonly path: string;
  readonly mode: number;
  readonly contents: string;
}

/** A file Ignition downloads at first boot and accepts only if its SHA-256 matches. */
export interface RemoteBootstrapFile {
  readonly path: string;
  readonly mode: number;
  readonly source: { readonly url: string; readonly sha256: string };
}

export type BootstrapFile = InlineBootstrapFile | RemoteBootstrapFile;

export interface DeployKey {
  /** OpenSSH private key (`-----BEGIN OPENSSH PRIVATE KEY-----`). */
  readonly privateKey: string;
  /** `ssh-ed25519 AAAA… comment` line. */
  readonly publicKey: string;
}

export interface GitopsBootstrapOptions {
  readonly environment: Environment;
  /** The environment's plan; the files are for `plan.firstServer` only. */
  readonly plan: ClusterPlan;
  /**
   * The environment's deploy key (`ensureDeployKey`), required when `gitops.url` is ssh://
   * (see `needsDeployKey`), ignored for https://.
   */
  readonly deployKey?: DeployKey;
  /** `flux.version` from homelab.lock.json when it has one; default DEFAULT_FLUX_VERSION. */
  readonly fluxVersion?: string;
  /**
   * The release to install instead of looking `fluxVersion` up in FLUX_RELEASES. For tests that
   * serve a stand-in manifest (with its real SHA-256) to the real Ignition; render never sets it.
   */
  readonly fluxRelease?: FluxRelease;
  /** The environment file as the user types it, for error locations (e.g. `environments/dev.ts`). */
  readonly environmentFile?: string;
  /** The lock file as the user types it, for error locations; default `homelab.lock.json`. */
  readonly lockFile?: string;
}

/** The Flux release for a version, or a located error naming the versions homelab can verify. */
export function fluxRelease(
  version: string | undefined,
  environmentName: string,
  lockFile = "homelab.lock.json",
): FluxRelease {
  const wanted = version ?? DEFAULT_FLUX_VERSION;
  const release = FLUX_RELEASES[wanted];
  if (release === undefined) {
    throw new HomelabError("gitops-invalid", `homelab has no verified install manifest for Flux ${wanted}`, {
      where: { file: lockFile, path: `environments.${environmentName}.flux.version` },
      fix:
        `Use one of: ${Object.keys(FLUX_RELEASES).join(", ")} (run \`homelab lock ${environmentName} --update\`), ` +
        "or add the release's install.yaml SHA-256 to src/gitops/flux-release.ts from its published checksums file.",
    });
  }
  return release;
}

/**
 * What the first server's Ignition must write so that Flux installs itself and starts syncing
 * the environment's path, with no SSH and no step after `homelab up`:
 *
 * 1. `homelab-flux-install.yaml` — Flux's release manifest (pinned version), downloaded by
 *    Ignition at first boot and verified by SHA-256 (a `RemoteBootstrapFile`);
 * 2. `homelab-flux-deploy-key.yaml` — only for ssh:// repositories: the `flux-system` Secret
 *    with `identity`, `identity.pub` and `known_hosts` (the Git host's key; verification is
 *    never disabled);
 * 3. `homelab-flux-sync.yaml` — the `flux-system` GitRepository (url, branch, interval) and
 *    Kustomization (path, default `kubernetes/clusters/<env>`, prune).
 *
 * All three go into k3s's auto-deploy directory (`K3S_MANIFESTS_DIR`), mode 0600, in that
 * order; k3s retries a manifest until the CRDs it needs exist. Returns `[]` when the
 * environment has no `gitops` section: then nothing Flux-related is rendered anywhere.
 *
 * Pure: no I/O. Render passes the result as `extraFiles` for `plan.firstServer.name` only
 * (the other nodes never get a deploy key). Throws `gitops-invalid` for unusable settings.
 *
 * Ignition runs once: changing any of this for an existing cluster changes the first server's
 * Ignition, and that server must be replaced for it to take effect.
 */
export function gitopsBootstrapFiles(options: GitopsBootstrapOptions): BootstrapFile[] {
  const { environment, plan } = options;
  if (plan.environment.name !== environment.name) {
    throw new HomelabError(
      "internal",
      `gitopsBootstrapFiles got the plan of ${plan.environment.name} for ${environment.name}`,
    );
  }
  const settings = resolveGitopsSettings(environment, options.environmentFile);
  if (settings === undefined) return [];
  const release = options.fluxRelease ?? fluxRelease(options.fluxVersion, environment.name, options.lockFile);

  const files: BootstrapFile[] = [
    {
      path: BOOTSTRAP_PATHS.fluxInstall,
      mode: BOOTSTRAP_FILE_MODE,
      source: { url: release.installManifest.url, sha256: release.installManifest.sha256 },
    },
  ];

  let secretName: string | undefined;
  if (settings.repository.transport === "ssh") {
    const key = options.deployKey;
    if (key === undefined) {
      throw new HomelabError(
        "internal",
        "gitopsBootstrapFiles needs the deploy key for an ssh:// repository",
        {
          fix: "Call ensureDeployKey() first when needsDeployKey(environment) is true.",
        },
      );
    }
    if (!key.privateKey.includes("PRIVATE KEY-----") || !/^ssh-\S+ \S+/.test(key.publicKey)) {
      throw new HomelabError(
        "internal",
        "the deploy key passed to gitopsBootstrapFiles is not an OpenSSH key pair",
      );
    }
    secretName = DEPLOY_KEY_SECRET_NAME;
    files.push({
      path: BOOTSTRAP_PATHS.deployKey,
      mode: BOOTSTRAP_FILE_MODE,
      contents: deployKeySecretManifest({
        identity: key.privateKey,
        identityPub: key.publicKey,
        knownHosts: settings.knownHosts ?? "",
      }),
    });
  }

  files.push({
    path: BOOTSTRAP_PATHS.sync,
    mode: BOOTSTRAP_FILE_MODE,
    contents: syncManifest({
      url: settings.repository.url,
      branch: settings.branch,
      path: settings.path,
      interval: settings.interval,
      ...(secretName === undefined ? {} : { secretName }),
    }),
  });
  return files;
}
