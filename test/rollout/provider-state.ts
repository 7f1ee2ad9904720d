import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";

/**
 * A STAND-IN for `tofu apply` with dmacvicar/libvirt 0.9.7: writes the OpenTofu state (format
 * version 4) that the provider would record for a rendered `main.tf.json` — the same resource
 * addresses and the attributes homelab sets (names, capacity, backing store, vCPU, memory, MAC)
 * in the provider's attribute layout — without running anything. Lets the rollout be tested over
 * many environment histories quickly; the real Terraform runs of the same flow (with
 * `terraform_data` stand-ins) are in test/tofu/ and test/rollout/cli-roll.test.ts.
 */

interface Locals {
  readonly base_images: Record<string, { name: string }>;
  readonly nodes: Record<
    string,
    {
      role: string;
      ignition_volume: string;
      disk_volume: string;
      disk_bytes: number;
      base_image: string;
      vcpu: number;
      memory_kib: number;
      mac: string;
    }
  >;
}

type NodeLocal = Locals["nodes"][string] & { artifact_volume?: string | null };

/**
 * One host's blocks per `nodes`/`nodes_<host>` local: plain names on one host, `<name>_<host>`
 * on several (src/tofu/names.ts), each with the volumes and domains that host's nodes have.
 */
export async function writeProviderState(renderDir: string, statePath: string): Promise<void> {
  const document = JSON.parse(await readFile(join(renderDir, "main.tf.json"), "utf8")) as {
    locals: Record<string, unknown>;
  };
  const blocks = Object.keys(document.locals).flatMap((key) => {
    const match = /^nodes(?:_(.+))?$/.exec(key);
    return match ? [match[1]] : [];
  });
  const resource = (type: string, name: string, instances: { index_key?: string; attributes: object }[]) => ({
    mode: "managed",
    type,
    name,
    provider: 'provider["registry.opentofu.org/dmacvicar/libvirt"]',
    instances: instances.map((instance) => ({ schema_version: 0, ...instance })),
  });
  const resources = blocks.flatMap((block) => {
    const suffix = (name: string) => (block === undefined ? name : `${name}_${block}`);
    const nodes = document.locals[suffix("nodes")] as Record<string, NodeLocal>;
    const bases = (document.locals[suffix("base_images")] ?? {}) as Locals["base_images"];
    const volumes = (document.locals[suffix("artifact_volumes")] ?? {}) as Record<string, { name: string }>;
    const pool = block === undefined ? "pool" : `pool-${block}`;
    const path = (name: string) => `/var/lib/libvirt/homelab/${pool}/${name}`;
    const usedBases = new Set(Object.values(nodes).map((node) => node.base_image));
    const usedVolumes = new Set(Object.values(nodes).map((node) => node.artifact_volume));
    const disks = (node: NodeLocal) => [
      { source: { volume: { pool, volume: node.disk_volume } } },
      ...(node.artifact_volume
        ? [
            {
              serial: "homelab-artifacts",
              read_only: true,
              source: { volume: { pool, volume: volumes[node.artifact_volume]?.name ?? "" } },
            },
          ]
        : []),
    ];
    return [
      resource(
        "libvirt_volume",
        suffix("flatcar_base"),
        Object.entries(bases)
          .filter(([key]) => usedBases.has(key))
          .map(([key, base]) => ({
            index_key: key,
            attributes: { name: base.name, pool, path: path(base.name) },
          })),
      ),
      ...(Object.keys(volumes).length === 0
        ? []
        : [
            resource(
              "libvirt_volume",
              suffix("artifacts"),
              Object.entries(volumes)
                .filter(([key]) => usedVolumes.has(key))
                .map(([key, volume]) => ({
                  index_key: key,
                  attributes: { name: volume.name, pool, path: path(volume.name) },
                })),
            ),
          ]),
      resource(
        "libvirt_volume",
        suffix("ignition"),
        Object.entries(nodes).map(([name, node]) => ({
          index_key: name,
          attributes: { name: node.ignition_volume, pool, path: path(node.ignition_volume) },
        })),
      ),
      resource(
        "libvirt_volume",
        suffix("disk"),
        Object.entries(nodes).map(([name, node]) => ({
          index_key: name,
          attributes: {
            name: node.disk_volume,
            pool,
            capacity: node.disk_bytes,
            path: path(node.disk_volume),
            backing_store: { path: path(bases[node.base_image]?.name ?? ""), format: { type: "qcow2" } },
          },
        })),
      ),
      resource(
        "libvirt_domain",
        suffix("node"),
        Object.entries(nodes).map(([name, node]) => ({
          index_key: name,
          attributes: {
            name,
            vcpu: node.vcpu,
            memory: node.memory_kib,
            memory_unit: "KiB",
            devices: {
              disks: disks(node),
              interfaces: [{ mac: { address: node.mac }, model: { type: "virtio" } }],
            },
          },
        })),
      ),
    ];
  });
  const state = {
    version: 4,
    terraform_version: "1.11.0",
    serial: 1,
    lineage: "stand-in",
    outputs: {},
    resources,
  };
  await mkdir(dirname(statePath), { recursive: true });
  await writeFile(statePath, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
}
