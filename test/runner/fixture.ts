import { mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { flavorOf, type TofuBinary } from "../../src/runner/index.js";
import { TofuRunner, type TofuRunnerOptions, tofuStatePaths } from "../../src/runner/tofu-runner.js";
import { type StateLayout, stateLayout } from "../../src/state/layout.js";
import { offlineTerraformEnv } from "../support/offline-terraform.js";
import { terraformBinary } from "../tofu/terraform-runner.js";

const FIXTURE = fileURLToPath(new URL("../fixtures/tofu-nodes/main.tf.json", import.meta.url));

/** The fixture's shape, as far as tests change it. */
export interface FixtureDocument {
  terraform: { backend: { local: { path: string } } };
  locals: { nodes: Record<string, { ignition: string }> };
  resource: { terraform_data: Record<string, Record<string, unknown>> };
}

export interface FixtureWorkspace {
  readonly root: string;
  readonly workingDir: string;
  readonly layout: StateLayout;
  /** Every line tofu printed so far. */
  readonly lines: string[];
  readonly binary: TofuBinary;
  runner(overrides?: Partial<TofuRunnerOptions>): TofuRunner;
  /** Changes the configuration in place (as a re-render of a changed environment would). */
  change(mutate: (document: FixtureDocument) => void): Promise<void>;
  /** Render's directory swap: a fresh directory without .terraform.lock.hcl or .terraform. */
  rerender(): Promise<void>;
}

/**
 * A stand-in for a rendered directory: the terraform_data fixture (per-node resources keyed
 * by node name, like the real configuration) with its local backend pointing into a
 * temporary state directory, as render does. Runs the real terraform/tofu of this machine.
 */
export async function fixtureWorkspace(): Promise<FixtureWorkspace> {
  const root = await mkdtemp(join(tmpdir(), "homelab-runner-"));
  const layout = stateLayout(join(root, "state", "development"));
  let generation = 0;
  let workingDir = join(root, "render-0");
  const document = JSON.parse(await readFile(FIXTURE, "utf8")) as FixtureDocument;
  document.terraform.backend.local.path = layout.tofuState;
  const write = async () => {
    await mkdir(workingDir, { recursive: true });
    await writeFile(join(workingDir, "main.tf.json"), `${JSON.stringify(document, null, 2)}\n`);
  };
  await write();
  const path = terraformBinary();
  const binary: TofuBinary = { path, flavor: flavorOf(path), source: "override" };
  const lines: string[] = [];
  return {
    root,
    get workingDir() {
      return workingDir;
    },
    layout,
    lines,
    binary,
    runner: (overrides = {}) =>
      new TofuRunner({
        binary,
        workingDir,
        paths: tofuStatePaths(layout),
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          ...offlineTerraformEnv(),
        },
        onOutput: (line) => lines.push(line),
        ...overrides,
      }),
    change: async (mutate) => {
      mutate(document);
      await write();
    },
    rerender: async () => {
      generation++;
      workingDir = join(root, `render-${generation}`);
      await write();
    },
  };
}

export const FIXTURE_NODES = ["k3s-dev-server-1", "k3s-dev-agent-1", "k3s-dev-agent-2"] as const;
