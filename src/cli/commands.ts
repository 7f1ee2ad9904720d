import type { CommandModule, RawCommandModule } from "./command.js";

interface CommandEntry {
  readonly name: string;
  readonly summary: string;
  readonly group: "cluster" | "inspect" | "tools";
}

export interface StandardCommandEntry extends CommandEntry {
  readonly kind: "standard";
  readonly load: () => Promise<CommandModule>;
}

export interface RawCommandEntry extends CommandEntry {
  readonly kind: "raw";
  readonly usage: string;
  readonly load: () => Promise<RawCommandModule>;
}

/**
 * The command table. Only the chosen command's module is imported, so `homelab butane` never
 * loads the Kubernetes client, and `homelab --help` loads no command at all.
 */
export const COMMANDS: readonly (StandardCommandEntry | RawCommandEntry)[] = [
  {
    kind: "raw",
    name: "butane",
    group: "tools",
    usage: "butane [--strict] [--pretty] [-d|--files-dir DIR] [-o FILE] [--check] [--json] [FILE]",
    summary: "Compile a Butane config to Ignition (a drop-in for `butane` on flatcar and fcos configs)",
    load: async () => (await import("./commands/butane/index.js")).default,
  },
  {
    kind: "standard",
    name: "up",
    group: "cluster",
    summary:
      "Doctor, image, render, apply, then wait for the cluster and write its kubeconfig (default: development)",
    load: async () => (await import("./commands/up/index.js")).default,
  },
  {
    kind: "standard",
    name: "plan",
    group: "cluster",
    summary: "Render, then show what OpenTofu would change",
    load: async () => (await import("./commands/plan/index.js")).default,
  },
  {
    kind: "standard",
    name: "apply",
    group: "cluster",
    summary: "Render, summarise the plan, confirm, then apply it",
    load: async () => (await import("./commands/apply/index.js")).default,
  },
  {
    kind: "standard",
    name: "destroy",
    group: "cluster",
    summary: "Destroy every VM, disk and network of an environment",
    load: async () => (await import("./commands/destroy/index.js")).default,
  },
  {
    kind: "standard",
    name: "replace",
    group: "cluster",
    summary: "Replace one node (drain, new disk and VM, wait until Ready): cattle, not pets",
    load: async () => (await import("./commands/replace/index.js")).default,
  },
  {
    kind: "standard",
    name: "upgrade",
    group: "cluster",
    summary:
      "Move k3s and/or Flatcar to new releases in homelab.lock.json (skew rules enforced), then roll them",
    load: async () => (await import("./commands/upgrade/index.js")).default,
  },
  {
    kind: "standard",
    name: "backup",
    group: "cluster",
    summary:
      "Take an etcd snapshot of the cluster now and keep it in the state directory (--list: list them)",
    load: async () => (await import("./commands/backup/index.js")).default,
  },
  {
    kind: "standard",
    name: "restore",
    group: "cluster",
    summary: "Restore the whole cluster from an etcd snapshot (every server reset, agents reconnect)",
    load: async () => (await import("./commands/restore/index.js")).default,
  },
  {
    kind: "standard",
    name: "render",
    group: "inspect",
    summary: "Write main.tf.json, Butane and Ignition for an environment, without touching anything",
    load: async () => (await import("./commands/render/index.js")).default,
  },
  {
    kind: "standard",
    name: "show",
    group: "inspect",
    summary: "Draw an environment: host, libvirt, nodes with role, address and size",
    load: async () => (await import("./commands/show/index.js")).default,
  },
  {
    kind: "standard",
    name: "status",
    group: "inspect",
    summary: "Table of nodes: VM state, Kubernetes readiness, k3s and Flatcar versions",
    load: async () => (await import("./commands/status/index.js")).default,
  },
  {
    kind: "standard",
    name: "doctor",
    group: "inspect",
    summary: "Check this host can run an environment, with fixes per distribution",
    load: async () => (await import("./commands/doctor/index.js")).default,
  },
  {
    kind: "standard",
    name: "kubeconfig",
    group: "tools",
    summary: "Fetch the cluster's kubeconfig again and print where it is",
    load: async () => (await import("./commands/kubeconfig/index.js")).default,
  },
  {
    kind: "standard",
    name: "ssh",
    group: "tools",
    summary: "SSH into a node as core, with homelab's known_hosts",
    load: async () => (await import("./commands/ssh/index.js")).default,
  },
  {
    kind: "standard",
    name: "lock",
    group: "tools",
    summary: "Show or refresh homelab.lock.json (pinned versions and hashes)",
    load: async () => (await import("./commands/lock/index.js")).default,
  },
  {
    kind: "standard",
    name: "image",
    group: "tools",
    summary: "Download and verify the pinned Flatcar image into the cache",
    load: async () => (await import("./commands/image/index.js")).default,
  },
  {
    kind: "standard",
    name: "artifacts",
    group: "tools",
    summary: "Download and verify what the nodes get from this machine (k3s, Flux, air-gap images)",
    load: async () => (await import("./commands/artifacts/index.js")).default,
  },
  {
    kind: "standard",
    name: "gitops",
    group: "tools",
    summary: "GitOps helpers: gitops key prints the deploy key, gitops status shows Flux readiness",
    load: async () => (await import("./commands/gitops/index.js")).default,
  },
];
