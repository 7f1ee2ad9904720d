import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { bench, describe } from "vitest";
import {
  ignitionChanges,
  ignitionLines,
  recordAppliedIgnition,
} from "../src/cli/lifecycle/ignition-changes.js";
import { type RenderResult, renderEnvironment } from "../src/render/index.js";
import { formatRollout } from "../src/rollout/index.js";
import { generateSshKeyPair } from "../src/secrets/index.js";
import { stateLayout } from "../src/state/layout.js";
import { writeProviderState } from "../test/rollout/provider-state.js";
import { testRepo } from "../test/runner/environment-repo.js";

/**
 * homelab's own share of `homelab plan` on a 30-node environment (3 servers, 27 agents) whose
 * machines are all applied: evaluate the environment (child process), render every node's
 * Ignition and the OpenTofu configuration, read OpenTofu's state, plan the rollout, diff every
 * rebuilt node's Ignition against the one its machine booted with, and format the plan.
 * OpenTofu's own `plan` is not included (it is not ours to speed up). Budget (issue 10): < 2 s.
 *
 * Cases: nothing changed, and a change that rebuilds every node (an SSH key added and the k3s
 * pin moved), so all 30 Ignition differences are computed and printed.
 */

const environment = (keys: string[], k3sVersion: string) => ({
  name: "big",
  prefix: "big",
  network: { mode: "nat", cidr: "10.90.0.0/24" },
  servers: { count: 3, vcpu: 2, memoryMiB: 4096, diskGiB: 20 },
  agents: { count: 27, vcpu: 2, memoryMiB: 2048, diskGiB: 20 },
  ssh: { authorizedKeys: keys },
  k3s: { version: k3sVersion },
  machine: { type: "qemu" },
});

const keyA = generateSshKeyPair("alice@laptop").publicKey.trim();
const keyB = generateSshKeyPair("bob@desktop").publicKey.trim();

const repo = await testRepo("big", "big", environment([keyA], "v1.34.2+k3s1"));
const stateRoot = repo.env.HOMELAB_STATE_DIR ?? "";
const layout = stateLayout(join(stateRoot, "big"));
const envFile = join(repo.cwd, "environments", "big.json");
const write = (keys: string[], k3sVersion: string) =>
  writeFileSync(envFile, `${JSON.stringify(environment(keys, k3sVersion), null, 2)}\n`);

const render = () =>
  renderEnvironment({
    environment: "big",
    cwd: repo.cwd,
    home: repo.env.HOME ?? "",
    stateRoot,
    cacheRoot: repo.env.HOMELAB_CACHE_DIR ?? "",
  });

// Apply the first version as the provider would, keeping each machine's Ignition.
const applied = await render();
await writeProviderState(applied.outDir, layout.tofuState);
await recordAppliedIgnition(
  applied,
  layout,
  applied.rollout.nodes.map((node) => node.name),
);

async function plan(): Promise<{ result: RenderResult; text: string }> {
  const result = await render();
  const changes = await ignitionChanges(result, layout);
  const text = formatRollout(result.rollout, { ignition: ignitionLines(changes) });
  return { result, text };
}

describe("homelab plan, 30 nodes (3 servers, 27 agents), homelab's share", () => {
  bench(
    "nothing changed",
    async () => {
      write([keyA], "v1.34.2+k3s1");
      const { result } = await plan();
      if (result.rollout.order.length !== 0) throw new Error("expected nothing to roll");
    },
    { iterations: 10, warmupIterations: 1 },
  );

  bench(
    "every node rebuilt (SSH key added, k3s pin moved): 30 Ignition differences",
    async () => {
      write([keyA, keyB], "v1.34.10+k3s1");
      const { result, text } = await plan();
      if (result.rollout.order.length !== 30)
        throw new Error(`expected 30 rebuilds, got ${result.rollout.order.length}`);
      if (!text.includes("bob@desktop")) throw new Error("expected the added key in the printed differences");
    },
    { iterations: 10, warmupIterations: 1 },
  );
});
