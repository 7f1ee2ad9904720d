import { stringify } from "yaml";

/**
 * The Kubernetes objects of the bootstrap, as YAML documents for k3s's auto-deploy directory.
 * Their names are the ones `flux bootstrap` uses (`flux-system` everywhere), so Flux's docs
 * and CLI (`flux get sources git`, `flux reconcile kustomization flux-system`) apply as-is.
 */

export const FLUX_NAMESPACE = "flux-system";
export const SYNC_NAME = "flux-system";
export const DEPLOY_KEY_SECRET_NAME = "flux-system";

export interface SyncSettings {
  readonly url: string;
  readonly branch: string;
  /** Repository-relative path, `./`-prefixed, e.g. `./kubernetes/clusters/development`. */
  readonly path: string;
  /** How often Flux fetches the repository, e.g. `1m`. */
  readonly interval: string;
  /** Set for SSH repositories: the Secret holding the deploy key and known_hosts. */
  readonly secretName?: string;
}

function documents(header: string, objects: readonly object[]): string {
  const body = objects.map((object) => stringify(object, { lineWidth: 0 })).join("---\n");
  return `${header
    .split("\n")
    .map((line) => `# ${line}`.trimEnd())
    .join("\n")}\n${body}`;
}

/** The GitRepository and root Kustomization that make Flux sync the environment's path. */
export function syncManifest(settings: SyncSettings): string {
  const gitRepository = {
    apiVersion: "source.toolkit.fluxcd.io/v1",
    kind: "GitRepository",
    metadata: { name: SYNC_NAME, namespace: FLUX_NAMESPACE },
    spec: {
      interval: settings.interval,
      ref: { branch: settings.branch },
      url: settings.url,
      ...(settings.secretName === undefined ? {} : { secretRef: { name: settings.secretName } }),
    },
  };
  const kustomization = {
    apiVersion: "kustomize.toolkit.fluxcd.io/v1",
    kind: "Kustomization",
    metadata: { name: SYNC_NAME, namespace: FLUX_NAMESPACE },
    spec: {
      interval: "10m",
      retryInterval: "1m",
      timeout: "5m",
      path: settings.path,
      prune: true,
      sourceRef: { kind: "GitRepository", name: SYNC_NAME },
    },
  };
  return documents(
    "Written by homelab (first server's Ignition); k3s applies it once. Flux syncs this path from Git.\n" +
      "Changing the repository, branch or path means a new first server: Ignition runs once.",
    [gitRepository, kustomization],
  );
}

export interface DeployKeySecret {
  /** OpenSSH private key (the deploy key). */
  readonly identity: string;
  /** Its `ssh-ed25519 …` public line. */
  readonly identityPub: string;
  /** known_hosts lines for the Git host. */
  readonly knownHosts: string;
}

/** The Secret source-controller reads for an SSH repository (keys as Flux documents them). */
export function deployKeySecretManifest(secret: DeployKeySecret): string {
  const object = {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: DEPLOY_KEY_SECRET_NAME, namespace: FLUX_NAMESPACE },
    type: "Opaque",
    stringData: {
      identity: secret.identity,
      "identity.pub": secret.identityPub,
      known_hosts: secret.knownHosts,
    },
  };
  return documents(
    "Written by homelab (first server's Ignition), mode 0600: Flux's deploy key. Never commit it.",
    [object],
  );
}
