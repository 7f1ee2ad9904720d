/**
 * The roll as a user runs it: the built CLI (`homelab apply`) on a scratch environment of three
 * servers and two agents, with
 *   - the REAL Terraform of this machine, given the rendered configuration with the libvirt
 *     resources turned into `terraform_data` STAND-INS (standin-tofu.mjs, test/tofu/stand-in.ts);
 *   - a FAKE Kubernetes API whose nodes come and go as the stand-in tofu applies (fake-cluster.ts);
 *   - the three servers as REAL sshds on their own 127.x addresses, port 22, logging in as `core`,
 *     with STAND-IN sudo, k3s and systemctl (test/snapshots/stand-in-node.ts) for the snapshots.
 * A change every node shares (an SSH key) must give one step per node, in the documented order,
 * each drained before and Ready after; a failure injected at a step stops the roll there, and a
 * second `homelab apply` finishes it.
 */
import { spawn } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, expect, it } from "vitest";
import { generateSshKeyPair } from "../../src/secrets/index.js";
import { stateLayout } from "../../src/state/layout.js";
import { testRepo } from "../runner/environment-repo.js";
import { bboltSnapshot } from "../snapshots/bbolt-fixture.js";
import {
  clearCommandLog,
  readCommandLog,
  type StandInNode,
  startStandInNode,
} from "../snapshots/stand-in-node.js";
import { describeWithTools, type RealToolName, SSHD_TOOLS } from "../support/real-tools.js";
import { standInVerifiedImage } from "../support/verified-image.js";
import { terraformBinary } from "../tofu/terraform-runner.js";
import { type FakeCluster, startFakeCluster } from "./fake-cluster.js";

/** Real sshds logged in to as `core` (root), real Terraform, the fake API's openssl certificate. */
const ROLL_TOOLS: readonly RealToolName[] = [...SSHD_TOOLS, "terraform", "openssl"];
const repository = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const bin = join(repository, "bin", "homelab.js");
const tofu = join(repository, "test", "rollout", "standin-tofu.mjs");

const octets = [100 + Math.floor(Math.random() * 150), 1 + Math.floor(Math.random() * 250)];
const net = `127.${octets[0]}.${octets[1]}`;
const prefix = `hl-rl${process.pid.toString(36)}`;
const servers = [1, 2, 3].map((n) => `${prefix}-server-${n}`);
const agents = [1, 2].map((n) => `${prefix}-agent-${n}`);
const ORDER = [agents[0], agents[1], servers[1], servers[2], servers[0]] as string[];

let repo: Awaited<ReturnType<typeof testRepo>>;
let cluster: FakeCluster;
let nodes: StandInNode[] = [];
let log: string;
let failApply: string;
let keys = 0;

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function homelab(args: readonly string[]): Promise<Run> {
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, [bin, ...args], {
      cwd: repo.cwd,
      env: {
        ...repo.env,
        NO_COLOR: "1",
        HOMELAB_TOFU: tofu,
        HOMELAB_TEST_TERRAFORM: terraformBinary(),
        HOMELAB_TEST_FAKE_CLUSTER: cluster.controlUrl,
        HOMELAB_TEST_FAIL_APPLY_FILE: failApply,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.once("close", (status) => resolvePromise({ status, stdout, stderr }));
  });
}

function events(run: Run): Record<string, unknown>[] {
  return run.stdout
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

const errorOf = (run: Run) =>
  events(run).find((event) => event.type === "error") as Record<string, unknown> | undefined;

/** Writes the environment with one more SSH key: a change every node's Ignition shares. */
async function writeEnvironment(extraKeys: number): Promise<void> {
  const authorizedKeys = Array.from({ length: extraKeys }, (_, i) =>
    generateSshKeyPair(`user${i}@laptop`).publicKey.trim(),
  );
  const environment = {
    name: "rolltest",
    prefix,
    network: { mode: "nat", cidr: `${net}.0/24` },
    servers: { count: 3, vcpu: 1, memoryMiB: 2048, diskGiB: 10 },
    agents: { count: 2, vcpu: 1, memoryMiB: 1024, diskGiB: 10 },
    ssh: { authorizedKeys },
    machine: { type: "qemu" },
  };
  await writeFile(
    join(repo.cwd, "environments", "rolltest.json"),
    `${JSON.stringify(environment, null, 2)}\n`,
  );
}

/** Per rolled node, what the fake cluster saw, in order. */
function rolled(timeline: readonly string[]): string[] {
  return timeline.filter((line) => /^(cordon|delete|boot) /.test(line));
}

describeWithTools(
  ROLL_TOOLS,
  "homelab apply rolls a change every node shares (built CLI, real Terraform, stand-ins)",
  () => {
    beforeAll(async () => {
      if (!existsSync(join(repository, "dist", "cli", "main.js")))
        throw new Error("dist/ is missing: run `npm run build` (npm test does it) before these tests");
      terraformBinary();
      repo = await testRepo("rolltest", prefix);
      await writeEnvironment(0);
      failApply = join(repo.cwd, "fail-apply");
      writeFileSync(failApply, "");
      cluster = await startFakeCluster();
      await standInVerifiedImage(repo.env.HOMELAB_CACHE_DIR!);
      // Render once for homelab's own SSH key; the stand-in servers let it in as core.
      const rendered = await homelab(["render", "rolltest", "--json"]);
      expect(rendered.status, rendered.stderr + rendered.stdout).toBe(0);
      const layout = stateLayout(join(repo.env.HOMELAB_STATE_DIR!, "rolltest"));
      const publicKey = readFileSync(layout.sshPublicKey, "utf8");
      const logDir = mkdtempSync(join(tmpdir(), "homelab-roll-log-"));
      chmodSync(logDir, 0o755);
      log = join(logDir, "commands.log");
      for (const [index, node] of servers.entries()) {
        const standIn = await startStandInNode({
          node,
          log,
          address: `${net}.${10 + index}`,
          port: 22,
          asCore: true,
          etcd: bboltSnapshot({ dataPages: 40, seed: index + 1 }),
        });
        writeFileSync(join(standIn.sshd.dir, "authorized_keys"), publicKey, { flag: "a" });
        nodes.push(standIn);
      }
      await mkdir(join(repo.env.HOME!, ".kube"), { recursive: true });
      await writeFile(join(repo.env.HOME!, ".kube", "homelab-rolltest.yaml"), cluster.api.kubeconfig(), {
        mode: 0o600,
      });
      // Day one: every node created in one apply, nothing rolls.
      const first = await homelab(["apply", "rolltest", "--yes", "--json"]);
      expect(first.status, first.stderr + first.stdout).toBe(0);
      expect([...cluster.api.nodes.keys()].sort()).toEqual([...agents, ...servers].sort());
    }, 300_000);

    afterAll(async () => {
      for (const node of nodes) await node.stop();
      nodes = [];
      await cluster?.close();
    });

    it("one step per node: agents, joining servers, the first server; drained before, Ready after; snapshots for servers", async () => {
      cluster.timeline.length = 0;
      clearCommandLog(log);
      await writeEnvironment(++keys);
      const run = await homelab(["apply", "rolltest", "--yes", "--json", "--timeout", "60s"]);
      expect(run.status, run.stderr + run.stdout).toBe(0);
      const expected = ORDER.flatMap((node) => [`cordon ${node}`, `delete ${node}`, `boot ${node}`]);
      expect(rolled(cluster.timeline)).toEqual(expected);
      // Each agent's pod was evicted between its cordon and its deletion.
      for (const agent of agents) {
        const cordon = cluster.timeline.indexOf(`cordon ${agent}`);
        const evict = cluster.timeline.findIndex(
          (line, i) => i > cordon && line.startsWith(`evict apps/hello-${agent}-`),
        );
        expect(evict, agent).toBeGreaterThan(cordon);
        expect(cluster.timeline.indexOf(`delete ${agent}`)).toBeGreaterThan(evict);
      }
      // A snapshot before each server step, taken from another server.
      const saves = readCommandLog(log).filter((line) => line.includes("etcd-snapshot save"));
      expect(saves).toEqual([
        `${servers[0]}: sudo /opt/bin/k3s etcd-snapshot save --name homelab-pre-replace`,
        `${servers[0]}: sudo /opt/bin/k3s etcd-snapshot save --name homelab-pre-replace`,
        `${servers[1]}: sudo /opt/bin/k3s etcd-snapshot save --name homelab-pre-replace`,
      ]);
      // Nothing is due any more, and no secret was printed.
      const plan = await homelab(["plan", "rolltest", "--json"]);
      const result = events(plan).find((event) => event.type === "result") as {
        rollout?: { order?: string[] };
      };
      expect(result.rollout?.order).toEqual([]);
      const token = readFileSync(
        stateLayout(join(repo.env.HOMELAB_STATE_DIR!, "rolltest")).k3sToken,
        "utf8",
      ).trim();
      for (const text of [run.stdout, run.stderr, plan.stdout, plan.stderr]) {
        expect(text).not.toContain(token);
        expect(text).not.toMatch(/PRIVATE KEY/);
      }
    }, 300_000);

    it.each<[string, () => void, () => void, string, string]>([
      [
        "a drain that does not finish",
        () => {
          for (const pod of cluster.api.pods.filter((p) => p.spec?.nodeName === agents[1]))
            cluster.api.blockedEvictions.set(`apps/${pod.metadata?.name}`, 1000);
        },
        () => cluster.api.blockedEvictions.clear(),
        agents[1]!,
        "drain",
      ],
      [
        "an apply that fails",
        () => writeFileSync(failApply, servers[1]!),
        () => writeFileSync(failApply, ""),
        servers[1]!,
        "apply",
      ],
      [
        "a snapshot that fails",
        () => {
          for (const node of nodes) node.injectFaults("fail etcd-snapshot");
        },
        () => {
          for (const node of nodes) node.injectFaults();
        },
        servers[1]!,
        "snapshot",
      ],
      [
        "a node that does not become Ready",
        () => cluster.neverReady.add(agents[0]!),
        () => {
          cluster.neverReady.clear();
          const node = cluster.api.nodes.get(agents[0]!);
          if (node)
            cluster.api.nodes.set(agents[0]!, {
              ...node,
              status: {
                ...node.status,
                conditions: [{ type: "Ready", status: "True", reason: "KubeletReady", message: "" }],
              },
            });
        },
        agents[0]!,
        "ready",
      ],
    ])(
      "%s stops the roll at that node and step; the next apply finishes it",
      async (_name, inject, heal, node, step) => {
        await writeEnvironment(++keys);
        inject();
        const stopped = await homelab(["apply", "rolltest", "--yes", "--json", "--timeout", "8s"]);
        heal();
        expect(stopped.status, stopped.stdout).not.toBe(0);
        const error = errorOf(stopped);
        expect(String(error?.message)).toContain(`the roll stopped at ${node}, step "${step}"`);
        expect(String(error?.fix)).toContain(`Run \`homelab apply\` again to resume with ${node}`);
        const finished = await homelab(["apply", "rolltest", "--yes", "--json", "--timeout", "60s"]);
        expect(finished.status, finished.stderr + finished.stdout).toBe(0);
        const plan = await homelab(["plan", "rolltest", "--json"]);
        const result = events(plan).find((event) => event.type === "result") as {
          rollout?: { order?: string[] };
        };
        expect(result.rollout?.order).toEqual([]);
      },
      300_000,
    );
  },
);
