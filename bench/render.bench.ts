import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, bench, describe } from "vitest";
import type { EnvironmentInput } from "../src/environment/schema.js";
import {
  type PreparedRender,
  prepareRender,
  type RenderOptions,
  renderEnvironment,
} from "../src/render/index.js";
import { generateSshKeyPair } from "../src/secrets/index.js";
import { serializeTfJson, synthesizeTofu } from "../src/tofu/index.js";
import { synthesisOptions } from "../test/tofu/plan-fixture.js";

/**
 * How long `homelab render` takes as the cluster grows: 3, 30, 100 and 300 nodes (3 servers,
 * the rest agents). Measured three ways:
 *   - "whole render, no writes": load + validate the environment, plan, compile every node's
 *     Butane to Ignition, synthesize main.tf.json (prepareRender);
 *   - "whole render, with writes": the same plus the atomic directory swap (renderEnvironment);
 *   - "synthesis only": main.tf.json from a ready plan.
 * Target: 100 nodes under 2 s, time growing linearly with the node count.
 */

const SIZES = [3, 30, 100, 300] as const;
/** A well-formed key line: loading an environment decodes the key data and checks its type. */
const BENCH_KEY = generateSshKeyPair("bench").publicKey.trim();
const root = mkdtempSync(join(tmpdir(), "homelab-bench-render-"));

function environment(nodes: number): EnvironmentInput {
  return {
    name: `bench${nodes}`,
    prefix: `b${nodes}`,
    network: { mode: "nat", cidr: "10.100.0.0/22" },
    servers: { count: 3, vcpu: 2, memoryMiB: 4096, diskGiB: 20 },
    agents: { count: nodes - 3, vcpu: 2, memoryMiB: 2048, diskGiB: 20 },
    ssh: {
      authorizedKeys: [BENCH_KEY],
    },
    k3s: { version: "v1.34.10+k3s1" },
  };
}

function optionsFor(nodes: number): RenderOptions {
  // One repository per size: sibling environments on the same network would (rightly) collide.
  const cwd = join(root, `repo-${nodes}`);
  mkdirSync(join(cwd, "environments"), { recursive: true });
  writeFileSync(
    join(cwd, "environments", `bench${nodes}.ts`),
    `export default ${JSON.stringify(environment(nodes))};\n`,
  );
  return {
    environment: `bench${nodes}`,
    cwd,
    home: root,
    stateRoot: join(root, "state"),
    cacheRoot: join(root, "cache"),
    outDir: join(root, "out", String(nodes)),
  };
}

afterAll(() => rmSync(root, { recursive: true, force: true }));

const options = new Map(SIZES.map((nodes) => [nodes, optionsFor(nodes)]));
const prepared = new Map<number, PreparedRender>();
for (const nodes of SIZES) {
  const ready = await prepareRender(options.get(nodes) as RenderOptions); // creates the secrets once
  prepared.set(nodes, ready);
}

describe.each(SIZES)("%i nodes", (nodes) => {
  const renderOptions = options.get(nodes) as RenderOptions;
  const plan = (prepared.get(nodes) as PreparedRender).plan;

  bench("whole render, no writes (load, plan, Butane→Ignition, synthesis)", async () => {
    await prepareRender(renderOptions);
  });

  bench("whole render, with writes (atomic swap of the render directory)", async () => {
    await renderEnvironment(renderOptions);
  });

  bench("synthesis only (main.tf.json from a plan)", () => {
    serializeTfJson(synthesizeTofu(plan, synthesisOptions(plan)));
  });
});
