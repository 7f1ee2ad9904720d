import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import production from "../../environments/production.js";
import { type EnvironmentInput, EnvironmentSchema } from "../../src/environment/schema.js";
import {
  BOOTSTRAP_PATHS,
  gitopsBootstrapMachine,
  HANDOVER_PATHS,
  K3S_MANIFESTS_DIR,
} from "../../src/gitops/index.js";
import { createNodeRenderer, type FirstBoot, type RenderedNodeConfig } from "../../src/nodes/index.js";
import { planCluster } from "../../src/plan/index.js";
import { rebootFiles } from "../../src/reboots/index.js";
import { registrationFiles } from "../../src/registration/index.js";
import { generateK3sToken, generateSshKeyPair } from "../../src/secrets/index.js";
import { ignitionFileContents } from "../nodes/fixtures.js";
import { applyIgnition } from "../support/ignition.js";
import { testNodePasswords } from "../support/node-passwords.js";
import { describeWithTools, IGNITION_TOOLS, type RealToolName } from "../support/real-tools.js";
import { conditionHolds, verifyUnits } from "../support/systemd.js";
import { type FileServer, startFileServer } from "./file-server.js";
import { repositoryRoot } from "./kustomize.js";

/**
 * Flux's hand-over to itself on the machine that bootstrapped a GitOps cluster: the unit and
 * script in that machine's Ignition (and nowhere else), the unit checked by systemd's own
 * `systemd-analyze verify` and its condition by `systemd-analyze condition`, and the script —
 * exactly as the Ignition embeds it — run under `sh` against a stand-in `k3s` on PATH that
 * answers `kubectl wait` and `kubectl get` with success or failure as each case needs. The
 * stand-in is not k3s: what k3s does with `.skip` files is grounded in its docs (facts §8).
 */

const FAKE_K3S = "#!/bin/sh\necho stand-in k3s\n";
const FAKE_FLUX = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: flux-system\n";
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

let server: FileServer;
let configs: (firstBoot: FirstBoot, node: string) => RenderedNodeConfig;

const TOOLS: readonly RealToolName[] = ["root", ...IGNITION_TOOLS, "systemd-analyze", "unshare", "mount"];

describeWithTools(TOOLS, "Flux's hand-over to itself", () => {
  beforeAll(async () => {
    server = await startFileServer({ "/k3s": FAKE_K3S, "/install.yaml": FAKE_FLUX });
    const environment = EnvironmentSchema.parse({
      ...production,
      gitops: { url: "ssh://git@github.com/example/homelab.git" },
    } satisfies EnvironmentInput);
    const plan = planCluster(environment, { file: "environments/production.ts" });
    const bootstrap = gitopsBootstrapMachine({
      environment,
      plan,
      deployKey: generateSshKeyPair("flux-production@homelab"),
      fluxRelease: {
        version: "v0.0.0-stand-in",
        installManifest: { url: `${server.url}/install.yaml`, sha256: sha256(FAKE_FLUX) },
      },
    });
    const render = createNodeRenderer(plan, {
      k3sToken: generateK3sToken(),
      sshPublicKeys: [generateSshKeyPair("homelab@production").publicKey.trim()],
      k3sBinary: { url: `${server.url}/k3s`, sha256: sha256(FAKE_K3S) },
      nodePasswords: testNodePasswords(plan),
      serverFiles: [...registrationFiles(plan), ...rebootFiles(plan)],
      bootstrapFiles: bootstrap.files,
      bootstrapUnits: bootstrap.units,
    });
    configs = (firstBoot, name) => {
      const node = plan.nodes.find((n) => n.name === name);
      if (!node) throw new Error(`no node ${name}`);
      return render(node, firstBoot);
    };
  });
  afterAll(() => server?.close());

  describe("the hand-over in the bootstrapping machine's Ignition", () => {
    it("installs the script and enables the unit; systemd verifies the unit", () => {
      const { root } = applyIgnition(configs({ kind: "bootstrap" }, "k3s-prod-server-1").ignition);
      expect(readFileSync(join(root, HANDOVER_PATHS.script), "utf8")).toBe(
        readFileSync(join(repositoryRoot, "butane-configs/homelab-flux-handover.sh"), "utf8"),
      );
      expect(statSync(join(root, HANDOVER_PATHS.script)).mode & 0o777).toBe(0o755);
      expect(readFileSync(join(root, "etc/systemd/system-preset/20-ignition.preset"), "utf8")).toContain(
        `enable ${HANDOVER_PATHS.unit}`,
      );
      const unit = readFileSync(join(root, "etc/systemd/system", HANDOVER_PATHS.unit), "utf8");
      expect(unit).toContain("After=k3s.service");
      expect(unit).toContain("Type=oneshot");
      expect(unit).toContain("Environment=K3S=/opt/bin/k3s");
      expect(verifyUnits(root, ["k3s.service", HANDOVER_PATHS.unit, "k3s-wait-for-server.service"])).toBe("");
    });

    it("runs on every boot until the install's .skip exists, and never after", () => {
      const { root } = applyIgnition(configs({ kind: "bootstrap" }, "k3s-prod-server-1").ignition);
      const unit = readFileSync(join(root, "etc/systemd/system", HANDOVER_PATHS.unit), "utf8");
      const condition = /^(ConditionPathExists=.*)$/m.exec(unit)?.[1] ?? "";
      expect(condition).toBe(`ConditionPathExists=!${BOOTSTRAP_PATHS.fluxInstall}.skip`);
      expect(conditionHolds(root, condition)).toBe(true);
      writeFileSync(join(root, `${BOOTSTRAP_PATHS.fluxInstall}.skip`), "");
      expect(conditionHolds(root, condition)).toBe(false);
    });

    it.each([
      ["a further server", { kind: "join" } as FirstBoot, "k3s-prod-server-2"],
      ["the first server rebuilt into a running cluster", { kind: "join" } as FirstBoot, "k3s-prod-server-1"],
      ["an agent", { kind: "join" } as FirstBoot, "k3s-prod-agent-1"],
    ])("%s gets neither the bootstrap nor the hand-over", (_what, firstBoot, name) => {
      const config = configs(firstBoot, name);
      expect(config.ignition).not.toContain("homelab-flux");
      expect(config.butane).not.toContain("homelab-flux");
    });
  });

  /** The script as the bootstrapping machine's Ignition embeds it. */
  function embeddedScript(): string {
    const script = ignitionFileContents(
      configs({ kind: "bootstrap" }, "k3s-prod-server-1").ignition,
      HANDOVER_PATHS.script,
    );
    if (!script) throw new Error("the bootstrap server's Ignition has no hand-over script");
    return script;
  }

  interface Scenario {
    /** `kubectl wait` fails this many times before it succeeds (Infinity: never succeeds). */
    readonly waitFailures: number;
    /** Whether `kubectl get <objects>` succeeds. */
    readonly objectsExist: boolean;
    /** Bootstrap files present in the manifests directory. */
    readonly files: readonly string[];
    readonly timeout?: number;
  }

  /**
   * Runs the script with a stand-in `k3s` first on PATH. The stand-in records every call and
   * answers `kubectl … wait` with failure for the first `waitFailures` calls, then success.
   */
  function run(scenario: Scenario) {
    const dir = mkdtempSync(join(tmpdir(), "homelab-handover-"));
    const bin = join(dir, "bin");
    const manifests = join(dir, "manifests");
    mkdirSync(bin);
    mkdirSync(manifests);
    for (const file of scenario.files) writeFileSync(join(manifests, file), `# ${file}\n`);
    const calls = join(dir, "calls");
    const failures = Number.isFinite(scenario.waitFailures) ? scenario.waitFailures : 1_000_000;
    writeFileSync(
      join(bin, "k3s"),
      [
        "#!/bin/sh",
        `echo "$*" >> ${JSON.stringify(calls)}`,
        'case "$*" in',
        `  *" wait "*) n=$(grep -c ' wait ' ${JSON.stringify(calls)}); [ "$n" -gt ${failures} ] ;;`,
        `  *" get "*) ${scenario.objectsExist ? "exit 0" : "echo 'not found' >&2; exit 1"} ;;`,
        "  *) exit 2 ;;",
        "esac",
        "",
      ].join("\n"),
    );
    chmodSync(join(bin, "k3s"), 0o755);
    const script = join(dir, "homelab-flux-handover");
    writeFileSync(script, embeddedScript());
    const result = spawnSync("sh", [script], {
      encoding: "utf8",
      env: {
        PATH: `${bin}:/usr/bin:/bin`,
        MANIFESTS_DIR: manifests,
        FLUX_WAIT_TIMEOUT: String(scenario.timeout ?? 30),
        FLUX_WAIT_INTERVAL: "0",
      },
    });
    return {
      status: result.status,
      log: `${result.stdout}${result.stderr}`,
      calls: existsSync(calls) ? readFileSync(calls, "utf8").trim().split("\n") : [],
      manifests: readdirSync(manifests).sort(),
      read: (file: string) => readFileSync(join(manifests, file), "utf8"),
    };
  }

  const ALL = ["homelab-flux-deploy-key.yaml", "homelab-flux-install.yaml", "homelab-flux-sync.yaml"];
  const HTTPS = ["homelab-flux-install.yaml", "homelab-flux-sync.yaml"];

  describe("the hand-over script, run against a stand-in k3s", () => {
    it("waits until Flux is Available, then skips every bootstrap file and leaves them as they are", () => {
      const outcome = run({ waitFailures: 2, objectsExist: true, files: ALL });
      expect(outcome.status, outcome.log).toBe(0);
      expect(outcome.manifests).toEqual([
        "homelab-flux-deploy-key.yaml",
        "homelab-flux-deploy-key.yaml.skip",
        "homelab-flux-install.yaml",
        "homelab-flux-install.yaml.skip",
        "homelab-flux-sync.yaml",
        "homelab-flux-sync.yaml.skip",
      ]);
      for (const file of ALL) {
        expect(outcome.read(`${file}.skip`)).toBe("");
        expect(outcome.read(file)).toBe(`# ${file}\n`);
      }
      // Two refused waits are logged, the third passes; then the objects are looked up once.
      expect(outcome.log.match(/attempt \d+: Flux is not Available yet/g)).toHaveLength(2);
      expect(outcome.log).toContain("owns itself");
      expect(outcome.calls.filter((call) => call.includes(" wait "))).toHaveLength(3);
      expect(outcome.calls[0]).toBe(
        "kubectl -n flux-system wait --for=condition=Available deployment --all --timeout=60s",
      );
      expect(outcome.calls.at(-1)).toBe(
        "kubectl -n flux-system get gitrepository.source.toolkit.fluxcd.io/flux-system kustomization.kustomize.toolkit.fluxcd.io/flux-system secret/flux-system",
      );
    });

    it("an https repository has no deploy key: only the install and the sync are skipped", () => {
      const outcome = run({ waitFailures: 0, objectsExist: true, files: HTTPS });
      expect(outcome.status, outcome.log).toBe(0);
      expect(outcome.manifests).toEqual([
        "homelab-flux-install.yaml",
        "homelab-flux-install.yaml.skip",
        "homelab-flux-sync.yaml",
        "homelab-flux-sync.yaml.skip",
      ]);
      expect(outcome.calls.at(-1)).not.toContain("secret/");
    });

    it("gives up after its timeout when Flux never becomes Available, skipping nothing", () => {
      const outcome = run({
        waitFailures: Number.POSITIVE_INFINITY,
        objectsExist: true,
        files: ALL,
        timeout: 1,
      });
      expect(outcome.status).toBe(1);
      expect(outcome.manifests).toEqual(ALL);
      expect(outcome.log).toMatch(
        /not Available after \d+s; k3s keeps applying the bootstrap, the next boot tries again/,
      );
    });

    it("does not skip a file whose objects k3s has not applied yet", () => {
      const outcome = run({ waitFailures: 0, objectsExist: false, files: ALL, timeout: 1 });
      expect(outcome.status).toBe(1);
      expect(outcome.manifests).toEqual(ALL);
    });

    it("does nothing on a machine without the bootstrap", () => {
      const outcome = run({ waitFailures: 0, objectsExist: true, files: [] });
      expect(outcome.status).toBe(0);
      expect(outcome.manifests).toEqual([]);
      expect(outcome.calls).toEqual([]);
      expect(outcome.log).toContain("nothing to hand over");
    });
  });

  it("the manifests directory is the one k3s's deploy controller reads", () => {
    expect(K3S_MANIFESTS_DIR).toBe("/var/lib/rancher/k3s/server/manifests");
    expect(readFileSync(join(repositoryRoot, "butane-configs/homelab-flux-handover.sh"), "utf8")).toContain(
      `:-${K3S_MANIFESTS_DIR}}"`,
    );
  });
});
