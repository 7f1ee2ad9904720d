import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bench, describe } from "vitest";
import development from "../environments/development.js";
import { EnvironmentSchema } from "../src/environment/schema.js";
import { gitopsBootstrapFiles } from "../src/gitops/index.js";
import { planCluster } from "../src/plan/index.js";
import { generateSshKeyPair } from "../src/secrets/index.js";

/**
 * The GitOps bootstrap is a small part of every render (pure: URL parsing, known_hosts, two YAML
 * documents); `homelab gitops key` is what a user runs before `up`, one process per call, and
 * must not load the Kubernetes client.
 */
const root = join(import.meta.dirname, "..");
const environment = EnvironmentSchema.parse({
  ...development,
  gitops: { url: "ssh://git@github.com/example/homelab.git" },
});
const plan = planCluster(environment, { file: "environments/development.ts" });
const deployKey = generateSshKeyPair("flux-development@homelab");

const project = mkdtempSync(join(tmpdir(), "homelab-bench-gitops-"));
mkdirSync(join(project, "environments"));
writeFileSync(
  join(project, "environments", "lab.json"),
  JSON.stringify({
    ...development,
    name: "lab",
    gitops: { url: "ssh://git@github.com/example/homelab.git" },
  }),
);

describe("gitops", () => {
  bench("gitopsBootstrapFiles(development, ssh://github.com)", () => {
    gitopsBootstrapFiles({ environment, plan, deployKey });
  });

  bench(
    "homelab gitops key lab (CLI, one process per run)",
    () => {
      const run = spawnSync(process.execPath, [join(root, "bin", "homelab.js"), "gitops", "key", "lab"], {
        cwd: project,
        env: { ...process.env, HOME: project, HOMELAB_STATE_DIR: join(project, "state") },
      });
      if (run.status !== 0) throw new Error(String(run.stderr));
    },
    { iterations: 10 },
  );
});
