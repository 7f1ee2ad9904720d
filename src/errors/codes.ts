/**
 * Every error code the CLI can print, with a one-line title. Each code has its page at
 * `docs/common-errors/<code>.md` (symptom, cause, fix); a test keeps the two in step.
 * Codes are stable: scripts and search engines find them. Add, never rename.
 */
export const ERROR_CODES = {
  // CLI and internals
  usage: "The command line is not valid",
  internal: "homelab hit a bug",
  "not-built": "homelab was cloned but not built",
  "confirmation-declined": "An operation needed confirmation and did not get it",

  // Environments
  "env-not-found": "No environment with that name or path",
  "env-name-mismatch": "An environment's name differs from its file's name",
  "env-load-failed": "An environment file cannot be loaded",
  "env-timeout": "An environment file did not finish evaluating in time",
  "env-exit": "An environment file ended the process that evaluates it",
  "env-too-large": "An environment file, or what it evaluates to, is larger than homelab allows",
  "env-printed": "An environment file printed output while it was evaluated",
  "env-invalid": "An environment does not match the schema",
  "env-no-server": "An environment has no server",
  "env-duplicate-node": "Two nodes share a name, MAC or address",
  "env-address-outside-network": "A node address is outside the environment's network",
  "env-network-collision": "The environment's network overlaps another network",
  "env-address-conflict": "The registration address or an address range collides with another address",
  "env-memory-too-low": "A node has less memory than k3s needs",
  "env-ssh-key-not-found": "An SSH public key file named by the environment cannot be read",
  "env-snippet-invalid": "A Butane snippet of the environment does not compile",
  "env-host-unknown": "A node is pinned to a host the environment does not define",
  "env-host-duplicate": "Two hosts of the environment have the same libvirt URI",
  "env-multi-host-nat": "An environment on several hosts uses a NAT network, which is host-local",
  "host-still-used": "A host removed from the environment still holds applied resources",

  // Lock file and secrets
  "lock-invalid": "homelab.lock.json cannot be read",
  "lock-missing-artifact": "The lock file does not know an artifact the environment needs",
  "lock-update-failed": "The lock file could not be refreshed",
  "secret-unsafe-permissions": "A secret file is readable by other users",
  "secret-invalid": "A secret file in homelab's state directory is damaged",
  "secret-missing": "A secret of an applied environment is missing",
  "state-dir-unwritable": "homelab cannot write its state directory",
  "render-write-failed": "The rendered files cannot be written",
  "render-out-refused": "The render output directory holds something render did not write",
  "render-cleanup-failed": "What an earlier render left next to the output directory cannot be removed",
  "secrets-not-ignored": "Files that hold secrets are inside the Git repository and not ignored",

  // Container images
  "image-reference-invalid": "A container image reference cannot be parsed",
  "image-pull-failed": "A container image could not be pulled from its registry",
  "image-digest-mismatch": "Bytes a container registry sent do not match their digest",

  // Host prerequisites (doctor)
  "tofu-not-found": "Neither OpenTofu nor Terraform is installed",
  "tofu-too-old": "OpenTofu or Terraform is too old",
  "provider-not-cached": "tofu init would download the libvirt provider from a registry",
  "libvirt-unreachable": "libvirt does not answer at the environment's URI",
  "libvirt-permission-denied": "QEMU cannot read the base image, a disk or the Ignition file",
  "kvm-unavailable": "KVM is not usable on this host",
  "qemu-missing": "QEMU for x86_64 guests is not installed where libvirt looks for it",
  "pool-conflict": "The storage pool path is already used by another libvirt pool",
  "pool-path-missing": "The storage pool directory does not exist",
  "pool-path-not-traversable": "The QEMU user cannot reach the storage pool directory",
  "dnsmasq-missing": "dnsmasq is not installed, so libvirt NAT networks cannot start",
  "network-range-in-use": "The environment's network range is already in use on the host",
  "network-bridge-missing": "The host bridge named by a bridge-mode network does not exist",
  "ssh-client-missing": "No OpenSSH client is installed",
  "disk-space-low": "Not enough free disk space for the Flatcar image and node disks",
  "security-module-denied": "AppArmor or SELinux confines QEMU away from homelab's files",

  // Flatcar image
  "image-download-failed": "The Flatcar image could not be downloaded",
  "image-signature-invalid": "The Flatcar image does not match its OpenPGP signature",
  "image-unverifiable": "The Flatcar image has no signature to verify it with",
  "image-hash-mismatch": "The Flatcar image does not match the sha512 in homelab.lock.json",
  "image-download-timeout": "A Flatcar download stalled",
  "image-not-verified": "The Flatcar image OpenTofu would use has not been verified",

  // Artifacts delivered to the nodes (k3s, Flux's manifest, air-gap images)
  "artifact-download-failed": "An artifact could not be downloaded into the cache",
  "artifact-hash-mismatch": "An artifact does not match the sha256 in homelab.lock.json",
  "artifact-not-cached": "An artifact the environment needs is not in the cache",
  "offline-remote-source": "An offline environment's Ignition would download something",

  // OpenTofu runner
  "tofu-failed": "OpenTofu or Terraform exited with an error",
  "rendered-config-invalid": "The rendered OpenTofu configuration cannot be used",
  "run-in-progress": "Another homelab run holds the environment's lock",
  "not-applied": "The environment has not been applied yet",
  "tofu-state-unreadable": "OpenTofu's state file of the environment cannot be read",
  "tofu-orphaned": "An OpenTofu run left by a stopped homelab is still running",
  "state-backup-failed": "The OpenTofu state could not be backed up before an apply",

  // Cluster lifecycle
  "k3s-server-timeout": "The first k3s server did not answer in time",
  "k3s-join-timeout": "Nodes did not become Ready in time",
  "kubeconfig-fetch-failed": "The kubeconfig could not be fetched from the first server",
  "kubeconfig-merge-failed": "The cluster could not be merged into your kubeconfig",
  "ssh-host-key-mismatch": "A node's SSH host key does not match the one homelab recorded",
  "node-not-found": "No node with that name in the environment",
  "replace-refused": "Replacing that node would destroy the cluster",
  "kubernetes-unreachable": "The Kubernetes API cannot be reached",
  "drain-timeout": "A node could not be drained in time",
  "quorum-at-risk": "A step would leave etcd without a majority of its servers",
  "rollout-stopped": "A rolling replacement stopped before it was done",
  interrupted: "The command was interrupted",
  "migration-required": "The environment was created by an earlier homelab and must be moved, not rolled",

  // Upgrades
  "upgrade-skips-minor": "An upgrade would skip a Kubernetes minor version",
  "upgrade-downgrade": "An upgrade would go back to an older release",
  "upgrade-version-unknown": "The version to upgrade to is not a release homelab can find",
  "upgrade-pinned": "The environment file pins the version an upgrade would change",
  "upgrade-roll-pending": "An unfinished roll hides which k3s a node runs",

  // Snapshots, backup and restore
  "snapshot-failed": "An etcd snapshot could not be taken or stored",
  "snapshot-invalid": "An etcd snapshot is damaged or does not match its record",
  "snapshot-not-found": "No stored snapshot with that name",
  "snapshot-upload-failed": "A snapshot could not be uploaded to a server",
  "restore-refused": "A restore was refused before anything was changed",
  "restore-failed": "Restoring an etcd snapshot stopped part-way",

  // GitOps
  "gitops-not-configured": "The environment names no Git repository",
  "gitops-invalid": "The GitOps settings of the environment are not usable",
} as const satisfies Record<string, string>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** The documentation page for a code, relative to the repository root. */
export function errorPage(code: ErrorCode): string {
  return `docs/common-errors/${code}.md`;
}
