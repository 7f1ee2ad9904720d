/**
 * Handing a snapshot to a rebuilt single server, and restoring a running three-server cluster,
 * against REAL sshds on 127.0.0.1 with STAND-IN sudo, k3s and systemctl (stand-in-node.ts).
 * The upload is also consumed by the REAL restore script the restore-mode Ignition installs
 * (butane-configs/k3s-restore-snapshot.sh), running on the stand-in node's root.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { realWaitClock } from "../../src/cluster/index.js";
import { HomelabError } from "../../src/errors/index.js";
import { RESTORE_PATHS } from "../../src/nodes/render.js";
import { restoreSnapshotScript } from "../../src/nodes/templates.js";
import {
  nodePaths,
  restoreCluster,
  type StoredSnapshot,
  takeSnapshot,
  uploadForRestore,
  verifySnapshot,
  waitForSsh,
} from "../../src/snapshots/index.js";
import { runSshStream } from "../../src/ssh/index.js";
import { describeWithTools, SSHD_TOOLS } from "../support/real-tools.js";
import { bboltSnapshot, sha256 } from "./bbolt-fixture.js";
import { clearCommandLog, readCommandLog, type StandInNode, startStandInNode } from "./stand-in-node.js";

const before = bboltSnapshot({ dataPages: 300, seed: 11 });
const after = bboltSnapshot({ dataPages: 310, seed: 12 });
const clock = realWaitClock(() => performance.now());
let work: string;
let log: string;
let knownHosts: string;

async function failure(promise: Promise<unknown>): Promise<HomelabError> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(HomelabError);
  return error as HomelabError;
}

function modeOf(path: string): string {
  return (statSync(path).mode & 0o777).toString(8);
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "homelab-restore-"));
  log = join(work, "commands.log");
  knownHosts = join(work, "known_hosts");
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe("the paths homelab uploads to are the ones the restore-mode node waits on", () => {
  it("agrees with src/nodes (RESTORE_PATHS) and the restore script", () => {
    expect(nodePaths.RESTORE_DIRECTORY).toBe(RESTORE_PATHS.directory);
    const script = restoreSnapshotScript();
    expect(script).toContain('snapshot="$dir/snapshot"');
    expect(script).toContain('"$snapshot.ready"');
    expect(nodePaths.RESTORE_MODE_SNAPSHOT).toBe(`${RESTORE_PATHS.directory}/snapshot`);
    expect(nodePaths.RESTORE_MODE_READY).toBe(`${RESTORE_PATHS.directory}/snapshot.ready`);
  });
});

describeWithTools(SSHD_TOOLS, "uploadForRestore (a rebuilt single server in restore mode)", () => {
  let node: StandInNode;
  let snapshot: StoredSnapshot;
  beforeAll(async () => {
    node = await startStandInNode({ node: "hl-solo-server-1", log, etcd: before });
    const dir = join(work, "state", "snapshots");
    ({ snapshot } = await takeSnapshot({
      server: node.server(knownHosts),
      environment: "solo",
      snapshotsDir: dir,
      reason: "pre-rebuild",
      takenAt: new Date("2025-01-31T14:00:00.000Z"),
    }));
    clearCommandLog(log);
    // The rebuilt machine: an empty disk, waiting for the snapshot.
    rmSync(join(node.root, "var", "lib", "rancher"), { recursive: true, force: true });
  });
  afterAll(async () => {
    await node?.stop();
  });
  afterEach(() => {
    node.injectFaults();
    clearCommandLog(log);
  });

  it("uploads in order — .part, checked, renamed, then .ready — and the real restore script restores it", async () => {
    const restoreDir = node.path(RESTORE_PATHS.directory);
    await mkdir(join(node.root, "etc", "rancher", "k3s"), { recursive: true });
    // The node's restore unit is already waiting (it polls every 5 s), before the upload starts.
    const script = join(work, "k3s-restore-snapshot");
    await writeFile(script, restoreSnapshotScript(), { mode: 0o755 });
    // The script's sha256sum waits for a gate, so the test can look at the uploaded files first.
    const gate = join(work, "gate");
    const gated = join(work, "gated-bin");
    await mkdir(gated, { recursive: true });
    await writeFile(
      join(gated, "sha256sum"),
      `#!/bin/sh\nuntil [ -e ${gate} ]; do sleep 0.1; done\nexec /usr/bin/sha256sum "$@"\n`,
      { mode: 0o755 },
    );
    const seen: string[] = [];
    const watcher = setInterval(() => {
      const entries = existsSync(restoreDir) ? readdirSync(restoreDir).sort().join(",") : "(none)";
      if (seen[seen.length - 1] !== entries) seen.push(entries);
    }, 2);
    const unit = spawn(script, [], {
      env: {
        PATH: `${gated}:/usr/bin:/bin`,
        SNAPSHOT_SHA256: snapshot.record.sha256,
        RESTORE_DIR: restoreDir,
        RESTORE_WAIT_TIMEOUT: "60",
        K3S: join(node.root, "..", "stand-ins", "k3s"),
        NODE_ROOT: node.root,
        NODE_NAME: node.node,
        STANDIN_DIR: join(node.root, "..", "stand-ins"),
        STANDIN_LOG: log,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let unitOutput = "";
    unit.stdout.on("data", (chunk: Buffer) => {
      unitOutput += chunk.toString();
    });
    unit.stderr.on("data", (chunk: Buffer) => {
      unitOutput += chunk.toString();
    });
    const unitExit = new Promise<number | null>((resolve) => unit.once("close", resolve));

    const progress: string[] = [];
    await uploadForRestore({
      server: node.server(knownHosts),
      snapshot,
      sshTimeoutMs: 30_000,
      clock,
      onProgress: (text) => progress.push(text),
    });
    // Right after the upload, held at the script's gate: the finished files and their modes.
    expect(readdirSync(restoreDir).sort()).toEqual(["snapshot", "snapshot.ready"]);
    expect([
      modeOf(restoreDir),
      modeOf(join(restoreDir, "snapshot")),
      modeOf(join(restoreDir, "snapshot.ready")),
    ]).toEqual(["700", "600", "600"]);
    expect(readFileSync(join(restoreDir, "snapshot")).equals(before)).toBe(true);
    expect(readCommandLog(log)).toEqual([
      "hl-solo-server-1: sudo rm -f /var/lib/homelab/restore/snapshot.ready",
      "hl-solo-server-1: sudo install -d -m 0700 /var/lib/homelab/restore",
      'hl-solo-server-1: sudo sh -c umask 077 && exec cat > "$1" sh /var/lib/homelab/restore/snapshot.part',
      "hl-solo-server-1: sudo sha256sum /var/lib/homelab/restore/snapshot.part",
      "hl-solo-server-1: sudo mv -f /var/lib/homelab/restore/snapshot.part /var/lib/homelab/restore/snapshot",
      "hl-solo-server-1: sudo install -m 0600 /dev/null /var/lib/homelab/restore/snapshot.ready",
    ]);
    expect(progress[0]).toMatch(/waiting for hl-solo-server-1 to answer over SSH/);

    await writeFile(gate, "");
    expect(await unitExit).toBe(0);
    clearInterval(watcher);
    expect(unitOutput).toContain("k3s-restore-snapshot: restored");
    // The script saw the files appear in order and never a .ready without the finished snapshot.
    const states = seen.filter((s) => s !== "(none)" && s !== "");
    expect(states).not.toContain("snapshot.part,snapshot.ready");
    expect(states).not.toContain("snapshot.ready");
    expect(states.indexOf("snapshot.part")).toBeLessThan(states.indexOf("snapshot"));
    expect(states.indexOf("snapshot")).toBeLessThan(states.indexOf("snapshot,snapshot.ready"));
    // Restored: the node's etcd state is the snapshot, the uploaded files are gone.
    expect(node.etcdState()?.equals(before)).toBe(true);
    expect(readdirSync(restoreDir)).toEqual([]);
    expect(existsSync(join(node.root, "var/lib/rancher/k3s/server/db/reset-flag"))).toBe(true);
  });

  it("a dropped upload leaves no snapshot and no marker on the node", async () => {
    node.injectFaults("fail exec cat");
    const error = await failure(
      uploadForRestore({ server: node.server(knownHosts), snapshot, sshTimeoutMs: 30_000, clock }),
    );
    expect(error.code).toBe("snapshot-upload-failed");
    expect(error.message).toMatch(
      /upload of homelab-pre-rebuild-hl-solo-server-1-\d+ to hl-solo-server-1 stopped after/,
    );
    const restoreDir = node.path(RESTORE_PATHS.directory);
    expect(readdirSync(restoreDir)).toEqual([]);
    expect(readCommandLog(log).pop()).toBe(
      "hl-solo-server-1: sudo rm -f /var/lib/homelab/restore/snapshot.part",
    );
  });

  it("waits for sshd with progress and gives up after its bound", async () => {
    const updates: string[] = [];
    const started = performance.now();
    const error = await failure(
      waitForSsh(
        {
          node: "hl-new-server-1",
          target: { host: "127.0.0.1", port: 9, identityFile: "/nonexistent", knownHostsFile: knownHosts },
        },
        { timeoutMs: 2500, intervalMs: 500, clock, onProgress: (text) => updates.push(text) },
      ),
    );
    expect(error.code).toBe("snapshot-upload-failed");
    expect(error.message).toMatch(/hl-new-server-1 did not answer over SSH within 3s/);
    expect(updates.length).toBeGreaterThanOrEqual(2);
    expect(updates[0]).toMatch(/sshd does not answer yet/);
    expect(performance.now() - started).toBeLessThan(20_000);
  });
});

describeWithTools(SSHD_TOOLS, "restoreCluster (three stand-in servers)", () => {
  const names = ["hl-ha-server-1", "hl-ha-server-2", "hl-ha-server-3"];
  const joined = "server: https://127.0.0.9:6443\ntoken: not-a-real-token\nnode-name: NAME\n";
  let nodes: StandInNode[];
  let snapshot: StoredSnapshot;
  let dir: string;

  beforeAll(async () => {
    nodes = [];
    for (const [index, node] of names.entries()) {
      nodes.push(
        await startStandInNode({
          node,
          log,
          etcd: after,
          config:
            index === 0 ? "cluster-init: true\ntoken: not-a-real-token\n" : joined.replace("NAME", node),
        }),
      );
    }
    // A snapshot of the "before" state, stored as `homelab backup` would.
    nodes[1]?.setEtcdState(before);
    dir = join(work, "ha", "snapshots");
    const taken = await takeSnapshot({
      server: nodes[1]!.server(knownHosts),
      environment: "ha",
      snapshotsDir: dir,
      reason: "backup",
      takenAt: new Date("2025-01-31T14:00:00.000Z"),
    });
    snapshot = await verifySnapshot(taken.snapshot.file);
  });
  afterAll(async () => {
    for (const node of nodes ?? []) await node.stop();
  });

  function reset(): void {
    clearCommandLog(log);
    for (const node of nodes) {
      node.injectFaults();
      node.setEtcdState(after);
      rmSync(node.path("/run/stand-in-units"), { recursive: true, force: true });
      rmSync(node.path("/var/lib/homelab"), { recursive: true, force: true });
      rmSync(node.path("/var/lib/rancher/k3s/server/db/reset-flag"), { force: true });
    }
  }

  const restore = (restoreOn: string) =>
    restoreCluster({
      environment: "ha",
      servers: nodes.map((n) => n.server(knownHosts)),
      restoreOn,
      snapshot,
    });

  const SEQUENCE = (on: string, others: readonly string[]) => [
    ...names.map((n) => `${n}: sudo true`),
    `${on}: sudo install -d -m 0700 /var/lib/homelab/restore`,
    `${on}: sudo sh -c umask 077 && exec cat > "$1" sh /var/lib/homelab/restore/cluster-reset.db.part`,
    `${on}: sudo sha256sum /var/lib/homelab/restore/cluster-reset.db.part`,
    `${on}: sudo mv -f /var/lib/homelab/restore/cluster-reset.db.part /var/lib/homelab/restore/cluster-reset.db`,
    `${on}: sudo sh -c umask 077 && grep -v -E "^server:" "$1" > "$2" sh /etc/rancher/k3s/config.yaml /var/lib/homelab/restore/cluster-reset-config.yaml`,
    ...names.map((n) => `${n}: sudo systemctl stop k3s`),
    `${on}: sudo /opt/bin/k3s server --config /var/lib/homelab/restore/cluster-reset-config.yaml --cluster-reset --cluster-reset-restore-path=/var/lib/homelab/restore/cluster-reset.db`,
    `${on}: sudo rm -f /var/lib/homelab/restore/cluster-reset.db /var/lib/homelab/restore/cluster-reset-config.yaml`,
    `${on}: sudo systemctl start k3s`,
    ...others.flatMap((n) => [
      `${n}: sudo rm -rf /var/lib/rancher/k3s/server/db`,
      `${n}: sudo systemctl start k3s`,
    ]),
  ];

  it("restores on a joined server (config without server:), then the others rejoin, in k3s's documented order", async () => {
    reset();
    const outcome = await restore("hl-ha-server-2");
    expect(outcome).toEqual({ restoredOn: "hl-ha-server-2", rejoined: ["hl-ha-server-1", "hl-ha-server-3"] });
    expect(readCommandLog(log)).toEqual(SEQUENCE("hl-ha-server-2", ["hl-ha-server-1", "hl-ha-server-3"]));
    const [first, chosen, third] = nodes as [StandInNode, StandInNode, StandInNode];
    expect(chosen.etcdState()?.equals(before)).toBe(true);
    expect(
      readdirSync(chosen.path("/var/lib/rancher/k3s/server/db")).some((e) => e.startsWith("etcd-old-")),
    ).toBe(true);
    expect(readdirSync(chosen.path("/var/lib/homelab/restore"))).toEqual([]);
    // The others' etcd data is gone: they rejoin the restored member empty.
    for (const other of [first, third])
      expect(existsSync(other.path("/var/lib/rancher/k3s/server/db"))).toBe(false);
    for (const node of nodes) expect(node.unitState("k3s")).toBe("active");
  });

  it("restores on the first server (cluster-init) too", async () => {
    reset();
    await restore("hl-ha-server-1");
    expect(readCommandLog(log)).toEqual(SEQUENCE("hl-ha-server-1", ["hl-ha-server-2", "hl-ha-server-3"]));
    expect(nodes[0]?.etcdState()?.equals(before)).toBe(true);
  });

  it("refuses before touching anything when a server does not answer", async () => {
    reset();
    nodes[2]?.injectFaults("fail sudo true");
    const error = await failure(restore("hl-ha-server-1"));
    expect(error.code).toBe("restore-refused");
    expect(error.message).toMatch(/nothing was changed/);
    expect(error.details.map((d) => d.message)).toEqual([
      expect.stringMatching(/^hl-ha-server-3: it exited with status 1/),
    ]);
    expect(readCommandLog(log)).toEqual(names.map((n) => `${n}: sudo true`));
    for (const node of nodes) expect(node.unitState("k3s")).toBe("active");
  });

  /** Each step of the sequence failing in turn: what the error says and what is left. */
  const steps: readonly {
    readonly name: string;
    readonly node: number;
    readonly rule: string;
    /** Commands run, counted in SEQUENCE (the failed one included). */
    readonly ran: number;
    readonly fix: RegExp;
    readonly states: readonly RegExp[];
    readonly units: readonly string[];
  }[] = [
    {
      name: "the upload",
      node: 0,
      rule: "fail exec cat",
      ran: 5,
      fix: /Nothing was stopped: the cluster runs as before/,
      states: [/running, unchanged \(the failed step ran here\)/, /running, unchanged/, /running, unchanged/],
      units: ["active", "active", "active"],
    },
    {
      name: "writing the reset config",
      node: 0,
      rule: "fail grep -v",
      ran: 8,
      fix: /Nothing was stopped/,
      states: [/running, unchanged/, /running/, /running/],
      units: ["active", "active", "active"],
    },
    {
      name: "stopping the second server",
      node: 1,
      rule: "fail systemctl stop",
      ran: 10,
      fix: /data is unchanged, but k3s is stopped on hl-ha-server-1\. .*start k3s on those servers/,
      states: [
        /k3s stopped, its data unchanged: start it again with `homelab ssh hl-ha-server-1 -- sudo systemctl start k3s`/,
        /running, unchanged \(the failed step ran here\)/,
        /running, unchanged/,
      ],
      units: ["inactive", "active", "active"],
    },
    {
      name: "the reset",
      node: 0,
      rule: "fail --cluster-reset",
      ran: 12,
      fix: /k3s is stopped on hl-ha-server-2, hl-ha-server-3/,
      states: [
        /the reset failed .*run the restore again \(the failed step ran here\)/,
        /k3s stopped, its data unchanged/,
        /k3s stopped, its data unchanged/,
      ],
      units: ["inactive", "inactive", "inactive"],
    },
    {
      name: "starting the restored server",
      node: 0,
      rule: "fail systemctl start",
      ran: 14,
      fix: /hl-ha-server-1 holds the restored data/,
      states: [
        /restored from the snapshot, k3s stopped: start it with/,
        /k3s stopped, still holding the old etcd data: remove it, then start k3s \(`homelab ssh hl-ha-server-2 -- sudo rm -rf \/var\/lib\/rancher\/k3s\/server\/db`/,
        /still holding the old etcd data/,
      ],
      units: ["inactive", "inactive", "inactive"],
    },
    {
      name: "removing the second server's data",
      node: 1,
      rule: "fail rm -rf",
      ran: 15,
      fix: /holds the restored data/,
      states: [
        /running from the snapshot/,
        /still holding the old etcd data/,
        /still holding the old etcd data/,
      ],
      units: ["active", "inactive", "inactive"],
    },
    {
      name: "starting the third server",
      node: 2,
      rule: "fail systemctl start",
      ran: 18,
      fix: /holds the restored data/,
      states: [
        /running from the snapshot/,
        /running, rejoined to the restored cluster/,
        /old etcd data removed, k3s stopped: `homelab ssh hl-ha-server-3 -- sudo systemctl start k3s` joins it/,
      ],
      units: ["active", "active", "inactive"],
    },
  ];

  it.each(steps)("a failure in $name: restore-failed, each server's state and what to do", async (step) => {
    reset();
    nodes[step.node]?.injectFaults(step.rule);
    const error = await failure(restore("hl-ha-server-1"));
    expect(error.code).toBe("restore-failed");
    expect(error.fix).toMatch(step.fix);
    expect(error.fix).toContain(`homelab restore ha ${snapshot.record.name}`);
    expect(error.details.map((d) => d.message)).toHaveLength(3);
    error.details.forEach((detail, index) => {
      expect(detail.message).toMatch(new RegExp(`^${names[index]}: `));
      expect(detail.message).toMatch(step.states[index]!);
    });
    const sequence = SEQUENCE("hl-ha-server-1", ["hl-ha-server-2", "hl-ha-server-3"]);
    const commands = readCommandLog(log);
    expect(commands.slice(0, step.ran)).toEqual(sequence.slice(0, step.ran));
    // After a failure, at most the clean-up of the uploaded files runs.
    expect(
      commands
        .slice(step.ran)
        .every((c) => c.startsWith("hl-ha-server-1: sudo rm -f /var/lib/homelab/restore/")),
    ).toBe(true);
    expect(nodes.map((n) => n.unitState("k3s"))).toEqual(step.units);
    // The uploaded snapshot never stays on the server.
    expect(existsSync(nodes[0]!.path(nodePaths.CLUSTER_RESET_SNAPSHOT))).toBe(false);
  });

  it("the stand-in k3s refuses a reset while config.yaml sets server:, as k3s does; homelab's copy avoids it", async () => {
    reset();
    const chosen = nodes[1]!;
    const config = chosen.path("/etc/rancher/k3s/config.yaml");
    const original = readFileSync(config, "utf8");
    const direct = await runSshStream(chosen.server(knownHosts).target, [
      "sudo",
      "/opt/bin/k3s",
      "server",
      "--cluster-reset",
      "--cluster-reset-restore-path=/etc/rancher/k3s/config.yaml",
    ]);
    expect(direct.exitCode).toBe(1);
    expect(direct.stderr).toContain("cannot perform cluster-reset while server URL is set");
    await restore("hl-ha-server-2");
    expect(sha256(chosen.etcdState()!)).toBe(snapshot.record.sha256);
    // homelab never edits the node's own config.yaml.
    expect(readFileSync(config, "utf8")).toBe(original);
  });
});
