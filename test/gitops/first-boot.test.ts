import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import production from "../../environments/production.js";
import { type EnvironmentInput, EnvironmentSchema } from "../../src/environment/schema.js";
import { BOOTSTRAP_PATHS, gitopsBootstrapMachine, K3S_MANIFESTS_DIR } from "../../src/gitops/index.js";
import { type RenderedNodeConfig, renderNodeConfigs } from "../../src/nodes/index.js";
import { planCluster } from "../../src/plan/index.js";
import { rebootFiles } from "../../src/reboots/index.js";
import { registrationFiles } from "../../src/registration/index.js";
import { generateK3sToken, generateSshKeyPair } from "../../src/secrets/index.js";
import { applyIgnition, ignitionValidate } from "../support/ignition.js";
import { testNodePasswords } from "../support/node-passwords.js";
import { describeWithTools, IGNITION_TOOLS } from "../support/real-tools.js";
import { type FileServer, startFileServer } from "./file-server.js";

/**
 * First boot of the shipped production environment (3 servers, 3 agents) with a Git
 * repository: the bootstrap goes through the node renderer into every node's Ignition the way
 * render composes them, each config passes the real `ignition-validate`, and the real Ignition
 * applies the first server, another server and an agent to scratch roots. Downloads (k3s,
 * Flux's manifest) come from a stand-in on 127.0.0.1 with the SHA-256 of what it serves.
 */

const FAKE_K3S = "#!/bin/sh\necho stand-in k3s\n";
const FAKE_FLUX = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: flux-system\n";
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

const deployKey = generateSshKeyPair("flux-production@homelab");

/** Renders production's nodes; downloads point at `serverUrl` (only fetched when Ignition runs). */
function render(gitops: EnvironmentInput["gitops"], serverUrl: string): RenderedNodeConfig[] {
  const environment = EnvironmentSchema.parse({ ...production, gitops } satisfies EnvironmentInput);
  const plan = planCluster(environment, { file: "environments/production.ts" });
  const bootstrap = gitopsBootstrapMachine({
    environment,
    plan,
    deployKey,
    fluxRelease: {
      version: "v0.0.0-stand-in",
      installManifest: { url: `${serverUrl}/install.yaml`, sha256: sha256(FAKE_FLUX) },
    },
  });
  return renderNodeConfigs(plan, {
    k3sToken: generateK3sToken(),
    sshPublicKeys: [generateSshKeyPair("homelab@production").publicKey.trim()],
    k3sBinary: { url: `${serverUrl}/k3s`, sha256: sha256(FAKE_K3S) },
    nodePasswords: testNodePasswords(plan),
    serverFiles: [...registrationFiles(plan), ...rebootFiles(plan)],
    bootstrapFiles: bootstrap.files,
    bootstrapUnits: bootstrap.units,
  });
}

function node(configs: readonly RenderedNodeConfig[], name: string): RenderedNodeConfig {
  const config = configs.find((c) => c.node.name === name);
  if (config === undefined) throw new Error(`no node ${name}`);
  return config;
}

describeWithTools(
  IGNITION_TOOLS,
  "a repository set: the bootstrap is in the first server's Ignition, and only there",
  () => {
    // The stand-in download server runs only for the tests that run Ignition, and is stopped
    // even when its start or a test failed.
    let server: FileServer | undefined;
    let configs: RenderedNodeConfig[];
    beforeAll(async () => {
      server = await startFileServer({ "/k3s": FAKE_K3S, "/install.yaml": FAKE_FLUX });
      configs = render({ url: "ssh://git@github.com/example/homelab.git" }, server.url);
    });
    afterAll(() => server?.close());

    it("every node's Ignition passes ignition-validate", () => {
      for (const config of configs) {
        const outcome = ignitionValidate(config.ignition);
        expect(outcome.output, config.node.name).toBe("");
        expect(outcome.ok).toBe(true);
      }
    });

    it("the first server, applied, has Flux verified, the Secret and the sync objects, all 0600", () => {
      const { root } = applyIgnition(node(configs, "k3s-prod-server-1").ignition);
      expect(readdirSync(join(root, K3S_MANIFESTS_DIR)).sort()).toEqual([
        "homelab-flux-deploy-key.yaml",
        "homelab-flux-install.yaml",
        "homelab-flux-sync.yaml",
        "homelab-kube-vip.yaml",
        "homelab-kured.yaml",
      ]);
      for (const path of Object.values(BOOTSTRAP_PATHS))
        expect(statSync(join(root, path)).mode & 0o777, path).toBe(0o600);
      expect(readFileSync(join(root, BOOTSTRAP_PATHS.fluxInstall), "utf8")).toBe(FAKE_FLUX);
      const secret = parseAllDocuments(
        readFileSync(join(root, BOOTSTRAP_PATHS.deployKey), "utf8"),
      )[0]?.toJS() as {
        kind: string;
        stringData: Record<string, string>;
      };
      expect(secret.kind).toBe("Secret");
      expect(secret.stringData.identity).toBe(deployKey.privateKey);
      expect(secret.stringData.known_hosts).toMatch(/^github\.com ssh-ed25519 /);
      const sync = parseAllDocuments(readFileSync(join(root, BOOTSTRAP_PATHS.sync), "utf8")).map((d) =>
        d.toJS(),
      );
      expect(sync.map((o: { kind: string }) => o.kind)).toEqual(["GitRepository", "Kustomization"]);
      expect(sync[1].spec.path).toBe("./kubernetes/clusters/production");
    });

    it.each(["k3s-prod-server-2", "k3s-prod-agent-1"])(
      "%s gets none of it, and no trace of the key",
      (name) => {
        const config = node(configs, name);
        const keyBody = deployKey.privateKey.split("\n")[1] ?? "";
        expect(config.ignition).not.toContain("homelab-flux");
        expect(config.ignition).not.toContain(encodeURIComponent(keyBody).slice(0, 40));
        const { root } = applyIgnition(config.ignition);
        // A joining server gets kube-vip and kured, like every server; nothing else.
        const manifests = existsSync(join(root, K3S_MANIFESTS_DIR))
          ? readdirSync(join(root, K3S_MANIFESTS_DIR))
          : [];
        expect(manifests).toEqual(
          name.includes("server") ? ["homelab-kube-vip.yaml", "homelab-kured.yaml"] : [],
        );
      },
    );
  },
);

describe("no repository: nothing Flux-related anywhere", () => {
  it("renders no bootstrap file into any node", () => {
    // Nothing is downloaded here: the URL is never contacted.
    for (const config of render(undefined, "http://127.0.0.1:9")) {
      expect(config.ignition.toLowerCase(), config.node.name).not.toContain("flux");
      expect(config.butane.toLowerCase()).not.toContain("flux");
    }
  });
});
