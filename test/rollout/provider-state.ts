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

export async function writeProviderState(renderDir: string, statePath: string): Promise<void> {
  const document = JSON.parse(await readFile(join(renderDir, "main.tf.json"), "utf8")) as { locals: Locals };
  const { base_images: bases, nodes } = document.locals;
  const pool = "pool";
  const path = (name: string) => `/var/lib/libvirt/homelab/${pool}/${name}`;
  const resource = (type: string, name: string, instances: { index_key?: string; attributes: object }[]) => ({
    mode: "managed",
    type,
    name,
    provider: 'provider["registry.opentofu.org/dmacvicar/libvirt"]',
    instances: instances.map((instance) => ({ schema_version: 0, ...instance })),
  });
  const usedBases = new Set(Object.values(nodes).map((node) => node.base_image));
  const state = {
    version: 4,
    terraform_version: "1.11.0",
    serial: 1,
    lineage: "stand-in",
    outputs: {},
    resources: [
      resource(
        "libvirt_volume",
        "flatcar_base",
        Object.entries(bases)
          .filter(([key]) => usedBases.has(key))
          .map(([key, base]) => ({
            index_key: key,
            attributes: { name: base.name, pool, path: path(base.name) },
          })),
      ),
      resource(
        "libvirt_volume",
        "ignition",
        Object.entries(nodes).map(([name, node]) => ({
          index_key: name,
          attributes: { name: node.ignition_volume, pool, path: path(node.ignition_volume) },
        })),
      ),
      resource(
        "libvirt_volume",
        "disk",
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
        "node",
        Object.entries(nodes).map(([name, node]) => ({
          index_key: name,
          attributes: {
            name,
            vcpu: node.vcpu,
            memory: node.memory_kib,
            memory_unit: "KiB",
            devices: { interfaces: [{ mac: { address: node.mac }, model: { type: "virtio" } }] },
          },
        })),
      ),
    ],
  };
  await mkdir(dirname(statePath), { recursive: true });
  await writeFile(statePath, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
}
