import { stringify } from "yaml";
import { readTemplate } from "../nodes/templates.js";
import type { ArtifactVolumeEntry, ArtifactVolumePlan } from "./volume.js";

/**
 * The node side of the artifact volume: what a node's Ignition must carry so that a first-boot
 * unit installs the artifacts from the attached disk, checking each against a hash that the
 * Ignition itself holds (the second of two checks; homelab checked the cache before building
 * the volume). The unit and its script are readable files in `butane-configs/`.
 */

/** The disk's serial (virtio-blk allows 20 bytes); udev links it as `virtio-<serial>`. */
export const ARTIFACT_DISK_SERIAL = "homelab-artifacts";
/**
 * Where the node finds the disk: systemd's 60-persistent-storage.rules link a virtio disk with a
 * serial as `/dev/disk/by-id/virtio-$env{ID_SERIAL}`.
 */
export const ARTIFACT_DEVICE_PATH = `/dev/disk/by-id/virtio-${ARTIFACT_DISK_SERIAL}`;
export const ARTIFACT_LIST_PATH = "/etc/homelab/artifacts.list";
export const ARTIFACT_SCRIPT_PATH = "/opt/bin/homelab-artifacts";
export const ARTIFACT_STAMP_PATH = "/var/lib/homelab/artifacts.installed";
export const ARTIFACT_UNIT_NAME = "homelab-artifacts.service";

const FILES = { script: "homelab-artifacts.sh", unit: "homelab-artifacts.service" } as const;

/** The exact script installed at /opt/bin/homelab-artifacts. */
export function artifactInstallScript(): string {
  return readTemplate(FILES.script);
}

/** The exact unit installed as homelab-artifacts.service. */
export function artifactInstallUnit(): string {
  return readTemplate(FILES.unit);
}

/** The node an installation is for: its role, and whether it is the server that starts the cluster. */
export interface ArtifactNode {
  readonly clusterInit: boolean;
  readonly role: "server" | "agent";
}

/**
 * Which volume entries a node installs: Flux's manifest only on the server that starts the
 * cluster, the add-on images (kube-vip) on every server, the rest everywhere.
 */
export function artifactsForNode(plan: ArtifactVolumePlan, node: ArtifactNode): ArtifactVolumeEntry[] {
  return plan.entries.filter(
    (entry) =>
      entry.installOn === "every-node" ||
      (entry.installOn === "servers" && node.role === "server") ||
      (entry.installOn === "first-server" && node.clusterInit),
  );
}

/** `/etc/homelab/artifacts.list`: `<sha256> <mode> <entry> <target>` per line, k3s last. */
export function artifactList(entries: readonly ArtifactVolumeEntry[]): string {
  const lines = [
    "# homelab: artifacts to install from the artifact volume, in order; each must match its sha256",
    "# sha256 mode entry target",
    ...entries.map((e) => `${e.sha256} ${e.mode.toString(8).padStart(4, "0")} ${e.entry} ${e.target}`),
  ];
  return `${lines.join("\n")}\n`;
}

/** An Ignition file with inline contents (the shape of `ExtraNodeFile`'s inline variant). */
export interface InlineNodeFile {
  readonly path: string;
  readonly mode: number;
  readonly contents: string;
}

/** A systemd unit for the node's Butane `systemd.units`. */
export interface NodeUnit {
  readonly name: string;
  readonly enabled: boolean;
  readonly contents: string;
}

export interface NodeArtifactInstall {
  /** The entries this node installs, in order, with their hashes. */
  readonly installs: readonly ArtifactVolumeEntry[];
  /** The script and the hash list, inline (no remote source). */
  readonly files: readonly InlineNodeFile[];
  /** homelab-artifacts.service, enabled (RequiredBy k3s.service and k3s-agent.service). */
  readonly units: readonly NodeUnit[];
}

/**
 * What one node's Ignition needs for the artifact volume: phase B adds `files` to the node's
 * `extraFiles` and `units` to its units, and drops the remote `source` of /opt/bin/k3s (and of
 * Flux's install manifest on the first server). Pure but for reading the two template files.
 */
export function nodeArtifactInstall(plan: ArtifactVolumePlan, node: ArtifactNode): NodeArtifactInstall {
  const installs = artifactsForNode(plan, node);
  return {
    installs,
    files: [
      { path: ARTIFACT_SCRIPT_PATH, mode: 0o755, contents: artifactInstallScript() },
      { path: ARTIFACT_LIST_PATH, mode: 0o644, contents: artifactList(installs) },
    ],
    units: [{ name: ARTIFACT_UNIT_NAME, enabled: true, contents: artifactInstallUnit() }],
  };
}

/**
 * The same entries as a self-contained Butane document (flatcar 1.0.0), e.g. to merge into a
 * node config or to compile and inspect on its own. Built as data and printed by `yaml`, so
 * no content can break the YAML.
 */
export function nodeArtifactButane(install: NodeArtifactInstall): string {
  return stringify(
    {
      variant: "flatcar",
      version: "1.0.0",
      storage: {
        files: install.files.map((file) => ({
          path: file.path,
          mode: file.mode,
          overwrite: true,
          contents: { inline: file.contents },
        })),
      },
      systemd: {
        units: install.units.map((unit) => ({
          name: unit.name,
          enabled: unit.enabled,
          contents: unit.contents,
        })),
      },
    },
    { lineWidth: 0 },
  );
}
