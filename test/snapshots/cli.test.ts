/**
 * `homelab backup` and `homelab restore` as a user runs them: the built CLI (bin/homelab.js) on
 * a scratch environment whose three servers are REAL sshds on their own 127.x addresses, port
 * 22, logging in as `core`, with STAND-IN sudo, k3s and systemctl (stand-in-node.ts), and a
 * FAKE Kubernetes API (test/cluster/fake-kube-api.ts) for the Ready wait. Exit statuses, the
 * order of remote commands, refusals before anything is touched, and no secret in the output.
 */
import { spawn } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { generateSshKeyPair } from "../../src/secrets/index.js";
import { stateLayout } from "../../src/state/layout.js";
import { type FakeKubeApi, fakeNode, startFakeKubeApi } from "../cluster/fake-kube-api.js";
import { testRepo } from "../runner/environment-repo.js";
import {
  describeWithTools,
  itWithTools,
  type RealToolName,
  SSHD_TOOLS,
  toolPath,
} from "../support/real-tools.js";
import { bboltSnapshot, sha256 } from "./bbolt-fixture.js";
import { clearCommandLog, readCommandLog, type StandInNode, startStandInNode } from "./stand-in-node.js";

/** Real sshds logged in to as `core` (root), and the fake Kubernetes API's openssl certificate. */
const CLI_TOOLS: readonly RealToolName[] = [...SSHD_TOOLS, "openssl"];
const repository = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const bin = join(repository, "bin", "homelab.js");

// A /24 of loopback of its own, so that parallel test runs never share port 22 of an address.
const octets = [100 + Math.floor(Math.random() * 150), 1 + Math.floor(Math.random() * 250)];
const net = `127.${octets[0]}.${octets[1]}`;
const prefix = `hl-bk${process.pid.toString(36)}`;
const servers = [1, 2, 3].map((n) => `${prefix}-server-${n}`);
const agent = `${prefix}-agent-1`;
const SECRET = "stand-in-secret-value-never-printed";
const current = bboltSnapshot({ dataPages: 200, seed: 21, marker: SECRET });
const later = bboltSnapshot({ dataPages: 220, seed: 22, marker: SECRET });

let repo: Awaited<ReturnType<typeof testRepo>>;
let nodes: StandInNode[] = [];
let fake: FakeKubeApi;
let log: string;
let snapshotsDir: string;

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The built CLI, asynchronously (the fake API answers from this process meanwhile). */
function homelab(args: readonly string[], input = ""): Promise<Run> {
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, [bin, ...args], {
      cwd: repo.cwd,
      env: { ...repo.env, NO_COLOR: "1" },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.stdin.end(input);
    child.once("close", (status) => resolvePromise({ status, stdout, stderr }));
  });
}

function events(run: Run): Record<string, unknown>[] {
  return run.stdout
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

function resultOf(run: Run): Record<string, unknown> {
  const results = events(run).filter((e) => e.type === "result");
  expect(results).toHaveLength(1);
  return results[0]!;
}

function errorOf(run: Run): Record<string, unknown> {
  const errors = events(run).filter((e) => e.type === "error");
  expect(errors).toHaveLength(1);
  return errors[0]!;
}

function expectNoSecret(run: Run): void {
  for (const text of [run.stdout, run.stderr]) {
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain("not-a-real-token");
    expect(text).not.toMatch(/PRIVATE KEY/);
    expect(text).not.toMatch(/\n\s+at .*\.js:\d+/); // no stack trace
  }
}

describeWithTools(CLI_TOOLS, "backup and restore through the built CLI (real sshds on port 22)", () => {
  beforeAll(async () => {
    if (!existsSync(join(repository, "dist", "cli", "main.js")))
      throw new Error("dist/ is missing: run `npm run build` (npm test does it) before these tests");
    repo = await testRepo("snaptest", prefix, {
      network: { mode: "nat", cidr: `${net}.0/24` },
      servers: { count: 3, vcpu: 1, memoryMiB: 2048, diskGiB: 10 },
      agents: { count: 1, vcpu: 1, memoryMiB: 1024, diskGiB: 10 },
    });
    const layout = stateLayout(join(repo.env.HOMELAB_STATE_DIR!, "snaptest"));
    snapshotsDir = layout.snapshotsDir;
    // The stand-ins log as core: a directory it can reach.
    const logDir = mkdtempSync(join(tmpdir(), "homelab-cli-log-"));
    chmodSync(logDir, 0o755);
    log = join(logDir, "commands.log");
    // homelab's own key for the environment, as render would have made it.
    const pair = generateSshKeyPair("homelab@snaptest");
    await mkdir(dirname(layout.sshPrivateKey), { recursive: true, mode: 0o700 });
    await writeFile(layout.sshPrivateKey, pair.privateKey, { mode: 0o600 });
    await writeFile(layout.sshPublicKey, pair.publicKey, { mode: 0o600 });
    // An applied environment: OpenTofu's state names resources (nothing here reads more of it).
    await mkdir(dirname(layout.tofuState), { recursive: true, mode: 0o700 });
    await writeFile(
      layout.tofuState,
      JSON.stringify({ version: 4, resources: [{ type: "terraform_data" }] }),
      {
        mode: 0o600,
      },
    );
    for (const [index, node] of servers.entries()) {
      const standIn = await startStandInNode({
        node,
        log,
        address: `${net}.${10 + index}`,
        port: 22,
        asCore: true,
        etcd: current,
        config:
          index === 0
            ? "cluster-init: true\ntoken: not-a-real-token\n"
            : `server: https://${net}.9:6443\ntoken: not-a-real-token\n`,
      });
      writeFileSync(join(standIn.sshd.dir, "authorized_keys"), pair.publicKey, { flag: "a" });
      nodes.push(standIn);
    }
    fake = await startFakeKubeApi();
    for (const node of [...servers, agent]) fake.nodes.set(node, fakeNode(node, "True"));
    await mkdir(join(repo.env.HOME!, ".kube"), { recursive: true });
    await writeFile(join(repo.env.HOME!, ".kube", "homelab-snaptest.yaml"), fake.kubeconfig(), {
      mode: 0o600,
    });
  });

  afterAll(async () => {
    for (const node of nodes) await node.stop();
    nodes = [];
    await fake?.close();
  });

  afterEach(() => {
    for (const node of nodes) {
      node.injectFaults();
      node.setEtcdState(current);
    }
    clearCommandLog(log);
  });

  describe("homelab backup", () => {
    it("--list with nothing stored yet", async () => {
      const run = await homelab(["backup", "snaptest", "--list"]);
      expect(run.status, run.stderr + run.stdout).toBe(0);
      expect(run.stdout).toMatch(/^No snapshots in /);
      expect(readCommandLog(log)).toEqual([]);
    });

    it("takes a snapshot on the first server, stores it 0600 and prints name, size, sha256 and the kept ones", async () => {
      const run = await homelab(["backup", "snaptest"]);
      expect(run.stderr).toMatch(/Taking an etcd snapshot of snaptest/);
      expect(run.status, run.stderr + run.stdout).toBe(0);
      expect(run.stderr).toMatch(
        new RegExp(
          `Snapshot homelab-backup-${servers[0]}-\\d+ from ${servers[0]}: \\d+\\.\\d KiB, sha256 ${sha256(current)}`,
        ),
      );
      expect(run.stdout).toMatch(
        /^1 snapshot in .*snapshots, newest first:\n {2}NAME +TAKEN +REASON +SIZE +SHA256\n {2}homelab-backup-/,
      );
      expectNoSecret(run);
      expect(readCommandLog(log)).toEqual([
        `${servers[0]}: sudo /opt/bin/k3s etcd-snapshot save --name homelab-backup`,
        expect.stringMatching(
          new RegExp(
            `^${servers[0]}: sudo cat /var/lib/rancher/k3s/server/db/snapshots/homelab-backup-${servers[0]}-\\d+$`,
          ),
        ),
      ]);
      const files = readdirSync(snapshotsDir);
      expect(files).toHaveLength(2);
    });

    it("--json, with the first server down: skips it with a warning and takes it on the next", async () => {
      await nodes[0]!.sshd.stop();
      try {
        const run = await homelab(["backup", "snaptest", "--json"]);
        expect(run.status, run.stderr + run.stdout).toBe(0);
        const warnings = events(run).filter((e) => e.type === "warning");
        expect(warnings.map((w) => w.message)).toEqual([
          expect.stringMatching(
            new RegExp(`^${servers[0]} does not answer over SSH .*trying the next server`),
          ),
        ]);
        const result = resultOf(run);
        const snapshot = result.snapshot as Record<string, unknown>;
        expect(snapshot).toMatchObject({
          node: servers[1],
          reason: "backup",
          size: current.length,
          sha256: sha256(current),
        });
        expect((result.snapshots as unknown[]).length).toBe(2);
        expectNoSecret(run);
      } finally {
        // A stopped test sshd cannot start again: bring up a fresh stand-in in its place.
        const replacement = await startStandInNode({
          node: servers[0]!,
          log,
          address: `${net}.10`,
          port: 22,
          asCore: true,
          etcd: current,
          config: "cluster-init: true\ntoken: not-a-real-token\n",
        });
        writeFileSync(
          join(replacement.sshd.dir, "authorized_keys"),
          readFileSync(stateLayout(join(repo.env.HOMELAB_STATE_DIR!, "snaptest")).sshPublicKey),
          { flag: "a" },
        );
        nodes[0] = replacement;
        // Its host key is new: forget the old one, as `homelab replace` does.
        writeFileSync(stateLayout(join(repo.env.HOMELAB_STATE_DIR!, "snaptest")).knownHosts, "");
      }
    });

    it("fails with snapshot-failed when k3s cannot save, and stores nothing", async () => {
      const before = readdirSync(snapshotsDir).sort();
      nodes[0]!.injectFaults("fail etcd-snapshot save");
      const run = await homelab(["backup", "snaptest"]);
      expect(run.status).toBe(1);
      expect(run.stderr).toMatch(/error\[snapshot-failed\]: k3s could not take an etcd snapshot on/);
      expect(run.stderr).toMatch(/docs: docs\/common-errors\/snapshot-failed\.md/);
      expect(readdirSync(snapshotsDir).sort()).toEqual(before);
      expectNoSecret(run);
    });
  });

  describe("homelab restore", () => {
    let name: string;
    beforeAll(async () => {
      const run = await homelab(["backup", "snaptest", "--json"]);
      expect(run.status, run.stderr + run.stdout).toBe(0);
      name = (resultOf(run).snapshot as { name: string }).name;
      clearCommandLog(log);
    });

    const refusals: readonly { what: string; args: () => string[]; code: string; input?: string }[] = [
      {
        what: "no --yes and no terminal",
        args: () => ["restore", "snaptest", name, "--json"],
        code: "confirmation-declined",
      },
      {
        what: "a snapshot that does not exist",
        args: () => ["restore", "snaptest", "homelab-backup-nope-1", "--yes", "--json"],
        code: "snapshot-not-found",
      },
      {
        what: "an agent as --on",
        args: () => ["restore", "snaptest", name, "--on", agent, "--yes", "--json"],
        code: "usage",
      },
      {
        what: "an unknown node as --on",
        args: () => ["restore", "snaptest", name, "--on", "nope", "--yes", "--json"],
        code: "node-not-found",
      },
    ];

    it.each(refusals)(
      "refuses $what ($code, exit 1) before any server is touched",
      async ({ args, code }) => {
        const run = await homelab(args());
        expect(run.status).toBe(1);
        expect(errorOf(run).code).toBe(code);
        expect(readCommandLog(log)).toEqual([]);
        expectNoSecret(run);
      },
    );

    it("refuses a corrupt snapshot (snapshot-invalid) before any server is touched", async () => {
      const copy = join(snapshotsDir, `${name.replace(/\d+$/, "1")}`);
      writeFileSync(`${copy}.db`, readFileSync(join(snapshotsDir, `${name}.db`)).subarray(0, -1), {
        mode: 0o600,
      });
      writeFileSync(
        `${copy}.json`,
        readFileSync(join(snapshotsDir, `${name}.json`), "utf8").replace(name, name.replace(/\d+$/, "1")),
        { mode: 0o600 },
      );
      const run = await homelab(["restore", "snaptest", name.replace(/\d+$/, "1"), "--yes"]);
      expect(run.status).toBe(1);
      expect(run.stderr).toMatch(/error\[snapshot-invalid\]: .*is damaged: its size/);
      expect(readCommandLog(log)).toEqual([]);
    });

    itWithTools(
      [...CLI_TOOLS, "script"],
      "asks for the environment's name, and a wrong answer changes nothing",
      async () => {
        // A terminal is needed to ask: the CLI only asks when stdin and stderr are TTYs, so without
        // one it refuses (above). This checks the answer path through `script`'s pseudo-terminal.
        const run = await new Promise<Run>((resolvePromise) => {
          const command = `"${process.execPath}" "${bin}" restore snaptest ${name}`;
          const child = spawn(toolPath("script"), ["-qec", command, "/dev/null"], {
            cwd: repo.cwd,
            env: { ...repo.env, NO_COLOR: "1", TERM: "dumb" },
            stdio: ["pipe", "pipe", "pipe"],
          });
          let stdout = "";
          child.stdout.on("data", (chunk: Buffer) => {
            stdout += chunk.toString();
            if (stdout.includes("Type snaptest to confirm")) child.stdin.write("production\n");
          });
          child.once("close", (status) => resolvePromise({ status, stdout, stderr: "" }));
        });
        expect(run.stdout).toMatch(
          /everything written to the cluster since .* is lost\. Type snaptest to confirm/,
        );
        expect(run.stdout).toMatch(/error\[confirmation-declined\]/);
        expect(run.status).toBe(1);
        expect(readCommandLog(log)).toEqual([]);
      },
    );

    it("restores with --yes: every server stopped, the first reset from the snapshot, the others rejoined, every node Ready", async () => {
      for (const node of nodes) node.setEtcdState(later);
      const run = await homelab(["restore", "snaptest", name, "--yes", "--json", "--timeout", "60s"]);
      expect(run.status, run.stderr + run.stdout).toBe(0);
      const result = resultOf(run);
      expect(result).toMatchObject({
        environment: "snaptest",
        restoredOn: servers[0],
        rejoined: [servers[1], servers[2]],
      });
      const [first, second, third] = servers as [string, string, string];
      expect(readCommandLog(log)).toEqual([
        `${first}: sudo true`,
        `${second}: sudo true`,
        `${third}: sudo true`,
        `${first}: sudo install -d -m 0700 /var/lib/homelab/restore`,
        `${first}: sudo sh -c umask 077 && exec cat > "$1" sh /var/lib/homelab/restore/cluster-reset.db.part`,
        `${first}: sudo sha256sum /var/lib/homelab/restore/cluster-reset.db.part`,
        `${first}: sudo mv -f /var/lib/homelab/restore/cluster-reset.db.part /var/lib/homelab/restore/cluster-reset.db`,
        `${first}: sudo sh -c umask 077 && grep -v -E "^server:" "$1" > "$2" sh /etc/rancher/k3s/config.yaml /var/lib/homelab/restore/cluster-reset-config.yaml`,
        `${first}: sudo systemctl stop k3s`,
        `${second}: sudo systemctl stop k3s`,
        `${third}: sudo systemctl stop k3s`,
        `${first}: sudo /opt/bin/k3s server --config /var/lib/homelab/restore/cluster-reset-config.yaml --cluster-reset --cluster-reset-restore-path=/var/lib/homelab/restore/cluster-reset.db`,
        `${first}: sudo rm -f /var/lib/homelab/restore/cluster-reset.db /var/lib/homelab/restore/cluster-reset-config.yaml`,
        `${first}: sudo systemctl start k3s`,
        `${second}: sudo rm -rf /var/lib/rancher/k3s/server/db`,
        `${second}: sudo systemctl start k3s`,
        `${third}: sudo rm -rf /var/lib/rancher/k3s/server/db`,
        `${third}: sudo systemctl start k3s`,
      ]);
      expect(sha256(nodes[0]!.etcdState()!)).toBe(sha256(current));
      expect(fake.requests.some((r) => r.startsWith("GET /api/v1/nodes"))).toBe(true);
      expectNoSecret(run);
    });

    it("a failed step ends in restore-failed (exit 1) naming each server's state, in plain text", async () => {
      nodes[1]!.injectFaults("fail systemctl stop");
      const run = await homelab(["restore", "snaptest", name, "--yes"]);
      expect(run.status).toBe(1);
      expect(run.stderr).toMatch(/error\[restore-failed\]: .*stopping k3s on .*-server-2 failed/);
      expect(run.stderr).toMatch(
        new RegExp(
          `- ${servers[0]}: k3s stopped, its data unchanged: start it again with \`homelab ssh ${servers[0]} -- sudo systemctl start k3s\``,
        ),
      );
      expect(run.stderr).toMatch(new RegExp(`- ${servers[2]}: running, unchanged`));
      expect(run.stderr).toMatch(/docs: docs\/common-errors\/restore-failed\.md/);
      expect(readCommandLog(log).some((c) => c.includes("--cluster-reset"))).toBe(false);
      expectNoSecret(run);
    });

    it("is refused while another run holds the environment's lock", async () => {
      const lock = stateLayout(join(repo.env.HOMELAB_STATE_DIR!, "snaptest")).runLock;
      writeFileSync(
        lock,
        JSON.stringify({
          pid: process.pid,
          hostname: hostname(),
          startedAt: "now",
          command: "homelab apply snaptest",
        }),
      );
      try {
        const run = await homelab(["restore", "snaptest", name, "--yes", "--json"]);
        expect(run.status).toBe(1);
        expect(errorOf(run).code).toBe("run-in-progress");
        expect(readCommandLog(log)).toEqual([]);
      } finally {
        rmSync(lock, { force: true });
      }
    });
  });
});
