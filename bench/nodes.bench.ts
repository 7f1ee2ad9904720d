import { join, resolve } from "node:path";
import { bench, describe } from "vitest";
import { loadEnvironment } from "../src/environment/index.js";
import { renderNodeConfigs } from "../src/nodes/index.js";
import { planCluster, planLoadedEnvironment } from "../src/plan/index.js";
import { generateSshKeyPair } from "../src/secrets/index.js";
import { testNodePasswords } from "../test/support/node-passwords.js";

/** Environment loading, planning and node-config rendering for the 6-node production environment. */

const REPO = resolve(import.meta.dirname, "..");
const loaded = await loadEnvironment("production", { cwd: REPO, home: join(REPO, "nonexistent-home") });
const plan = await planLoadedEnvironment(loaded);
const inputs = {
  k3sToken: "ab".repeat(32),
  sshPublicKeys: [generateSshKeyPair("homelab@production").publicKey.trim()],
  k3sBinary: { url: "https://example.invalid/k3s", sha256: "cd".repeat(32) },
  nodePasswords: testNodePasswords(plan),
};

describe("environments and node configs (production: 3 servers, 3 agents)", () => {
  bench("loadEnvironment (jiti, TypeScript)", async () => {
    await loadEnvironment("production", { cwd: REPO, home: join(REPO, "nonexistent-home") });
  });
  bench("planCluster", () => {
    planCluster(loaded.environment, { file: loaded.file });
  });
  bench("renderNodeConfigs (template + strict Butane compile, 6 nodes)", () => {
    renderNodeConfigs(plan, inputs);
  });
  bench("generateSshKeyPair", () => {
    generateSshKeyPair("homelab@bench");
  });
});
