#!/usr/bin/env node
// A STAND-IN for `tofu`, given to homelab as HOMELAB_TOFU in the rollout tests: it turns the
// rendered main.tf.json into `terraform_data` stand-ins (test/tofu/stand-in.ts: same addresses,
// lifecycle rules and expressions, no libvirt provider) and runs the real Terraform of this
// machine (HOMELAB_TEST_TERRAFORM) on it. After an apply it tells the FAKE Kubernetes API
// (HOMELAB_TEST_FAKE_CLUSTER, see fake-cluster.ts) which nodes got a new machine, as booting
// VMs would register with k3s. Test-only: product code never reads these variables.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createJiti } from "jiti";

const args = process.argv.slice(2);
const terraform = process.env.HOMELAB_TEST_TERRAFORM;
if (!terraform) {
  process.stderr.write("standin-tofu: HOMELAB_TEST_TERRAFORM is not set\n");
  process.exit(2);
}
const jiti = createJiti(import.meta.url);
const { standInConfig } = await jiti.import(new URL("../tofu/stand-in.ts", import.meta.url).href);

const config = join(process.cwd(), "main.tf.json");
if (existsSync(config)) {
  const document = JSON.parse(readFileSync(config, "utf8"));
  if (document.resource && !document.resource.terraform_data) {
    writeFileSync(config, JSON.stringify(standInConfig(document, { keepBackend: true }), null, 2));
  }
}

/** Machines in the state: node name → the id of its domain stand-in (a new machine, a new id). */
function machines() {
  const backend = existsSync(config)
    ? JSON.parse(readFileSync(config, "utf8")).terraform?.backend?.local?.path
    : undefined;
  if (!backend || !existsSync(backend)) return new Map();
  const state = JSON.parse(readFileSync(backend, "utf8"));
  const domains = (state.resources ?? []).find(
    (r) => r.type === "terraform_data" && r.name === "libvirt_domain__node",
  );
  return new Map((domains?.instances ?? []).map((i) => [i.index_key, i.attributes.id]));
}

const failOnce = process.env.HOMELAB_TEST_FAIL_APPLY_FILE;
if (args[0] === "apply" && failOnce && existsSync(failOnce)) {
  const node = readFileSync(failOnce, "utf8").trim();
  const plan =
    node === ""
      ? { stdout: "{}" }
      : spawnSync(terraform, ["show", "-json", args[args.length - 1]], { encoding: "utf8" });
  const changes = JSON.parse(plan.stdout || "{}").resource_changes ?? [];
  if (changes.some((change) => change.index === node && !change.change.actions.includes("no-op"))) {
    writeFileSync(failOnce, "");
    process.stderr.write(`standin-tofu: injected apply failure for ${node}\n`);
    process.exit(1);
  }
}

const before = args[0] === "apply" ? machines() : new Map();
const run = spawnSync(terraform, args, { stdio: "inherit" });
if (args[0] === "apply" && run.status === 0 && process.env.HOMELAB_TEST_FAKE_CLUSTER) {
  const after = machines();
  const booted = [...after].filter(([node, id]) => before.get(node) !== id).map(([node]) => node);
  const removed = [...before.keys()].filter((node) => !after.has(node));
  await fetch(`${process.env.HOMELAB_TEST_FAKE_CLUSTER}/machines`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ booted, removed }),
  });
}
process.exit(run.status ?? 1);
