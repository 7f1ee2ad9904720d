import { join } from "node:path";

/**
 * Files homelab keeps per environment, under `<stateRoot>/<env>/` (see cli/paths.ts for the
 * root). Outside the repository and outside anything `render` cleans; the directory is 0700
 * and every file in it 0600. Losing it means a new k3s token and new keys: the cluster must
 * then be rebuilt (`homelab destroy && homelab up`).
 */
export interface StateLayout {
  readonly dir: string;
  /** k3s cluster token, generated once from a CSPRNG. */
  readonly k3sToken: string;
  /** homelab's own SSH key for user core (kubeconfig fetch, `homelab ssh`). */
  readonly sshPrivateKey: string;
  readonly sshPublicKey: string;
  /** known_hosts that homelab maintains for the environment's nodes. */
  readonly knownHosts: string;
  /** Flux deploy key for private repositories over SSH. */
  readonly deployPrivateKey: string;
  readonly deployPublicKey: string;
  /** OpenTofu state (local backend) and its backups. */
  readonly tofuState: string;
  readonly tofuBackups: string;
  /** TF_DATA_DIR: providers and modules, kept across renders. */
  readonly tofuDataDir: string;
  /** Held while a plan/apply/destroy/replace runs, to refuse a second concurrent run. */
  readonly runLock: string;
  /**
   * How the current machine of a node started k3s, where it differs from the default (the first
   * server bootstraps, every other node joins): written by the rollout before it rebuilds the
   * first server, read by every render (see rollout/first-boot-record.ts).
   */
  readonly firstBootRecord: string;
  /** etcd snapshots taken by `homelab backup` and before server replacements (0700). */
  readonly snapshotsDir: string;
  /** Per node: its k3s node password and the Ignition last applied to its machine. */
  node(name: string): NodeStateFiles;
}

export interface NodeStateFiles {
  readonly dir: string;
  /** The k3s node password, generated once per node name (`/etc/rancher/node/password`). */
  readonly password: string;
  /** The Ignition config the node's current machine booted with, kept for `homelab plan`'s diff. */
  readonly appliedIgnition: string;
}

export function stateLayout(stateDir: string): StateLayout {
  return {
    dir: stateDir,
    k3sToken: join(stateDir, "k3s-token"),
    sshPrivateKey: join(stateDir, "ssh", "id_ed25519"),
    sshPublicKey: join(stateDir, "ssh", "id_ed25519.pub"),
    knownHosts: join(stateDir, "ssh", "known_hosts"),
    deployPrivateKey: join(stateDir, "gitops", "deploy_key"),
    deployPublicKey: join(stateDir, "gitops", "deploy_key.pub"),
    tofuState: join(stateDir, "tofu", "terraform.tfstate"),
    tofuBackups: join(stateDir, "tofu", "backups"),
    tofuDataDir: join(stateDir, "tofu", "data"),
    runLock: join(stateDir, "run.lock"),
    firstBootRecord: join(stateDir, "first-boot.json"),
    snapshotsDir: join(stateDir, "snapshots"),
    node: (name) => {
      const dir = join(stateDir, "nodes", name);
      return { dir, password: join(dir, "password"), appliedIgnition: join(dir, "applied.ign") };
    },
  };
}
