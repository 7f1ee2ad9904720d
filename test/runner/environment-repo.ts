import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { offlineTerraformEnv } from "../support/offline-terraform.js";

export interface TestRepo {
  /** The repository root (cwd of the commands): environments/ lives here. */
  readonly cwd: string;
  /** HOME, state and cache directories of the test "user". */
  readonly env: NodeJS.ProcessEnv;
}

/**
 * A scratch repository with one JSON environment (1 server, 2 agents), and a scratch home and
 * state directory, so that commands run exactly as in a clone without touching the machine's.
 */
export async function testRepo(
  name: string,
  prefix: string,
  overrides: Record<string, unknown> = {},
): Promise<TestRepo> {
  const root = await mkdtemp(join(tmpdir(), "homelab-repo-"));
  const cwd = join(root, "repo");
  await mkdir(join(cwd, "environments"), { recursive: true });
  const environment = {
    name,
    prefix,
    network: { mode: "nat", cidr: "192.168.231.0/24" },
    servers: { count: 1, vcpu: 1, memoryMiB: 2048, diskGiB: 10 },
    agents: { count: 2, vcpu: 1, memoryMiB: 1024, diskGiB: 10 },
    ssh: { authorizedKeys: [] },
    machine: { type: "qemu" },
    ...overrides,
  };
  await writeFile(join(cwd, "environments", `${name}.json`), `${JSON.stringify(environment, null, 2)}\n`);
  const home = join(root, "home");
  await mkdir(home, { recursive: true });
  return {
    cwd,
    env: {
      PATH: process.env.PATH,
      HOME: home,
      HOMELAB_STATE_DIR: join(root, "state"),
      HOMELAB_CACHE_DIR: join(root, "cache"),
      ...offlineTerraformEnv(),
    },
  };
}
