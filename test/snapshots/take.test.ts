/**
 * Take → store → list → verify against a REAL sshd on 127.0.0.1 whose node commands are
 * STAND-INS (sudo, k3s; see stand-in-node.ts): the exact remote commands, the stored files and
 * their modes, retention, and what a failure at each point leaves behind (nothing).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { HomelabError } from "../../src/errors/index.js";
import {
  listSnapshots,
  newestSnapshotIn,
  pruneSnapshots,
  resolveSnapshot,
  savedSnapshotPath,
  takeSnapshot,
  takeSnapshotFromAny,
  verifySnapshot,
} from "../../src/snapshots/index.js";
import { describeWithTools, itWithTools, SSHD_TOOLS, toolPath } from "../support/real-tools.js";
import { bboltSnapshot, sha256 } from "./bbolt-fixture.js";
import { clearCommandLog, readCommandLog, type StandInNode, startStandInNode } from "./stand-in-node.js";

const etcd = bboltSnapshot({ dataPages: 600, seed: 7 }); // about 2.4 MiB
let node: StandInNode;
let work: string;
let log: string;
let knownHosts: string;

function freshDir(): string {
  const dir = join(mkdtempSync(join(tmpdir(), "homelab-snapshots-")), "state", "snapshots");
  return dir;
}

function modeOf(path: string): string {
  return (statSync(path).mode & 0o777).toString(8);
}

const take = (dir: string, extra: Partial<Parameters<typeof takeSnapshot>[0]> = {}) =>
  takeSnapshot({
    server: node.server(knownHosts),
    environment: "snaptest",
    snapshotsDir: dir,
    reason: "backup",
    takenAt: new Date("2025-01-31T14:00:00.000Z"),
    ...extra,
  });

async function failure(promise: Promise<unknown>): Promise<HomelabError> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(HomelabError);
  return error as HomelabError;
}

describe("finding the file k3s wrote", () => {
  it.each([
    [
      "logrus text format (no terminal)",
      'time="2025-01-31T14:00:00Z" level=info msg="Saving etcd snapshot to /var/lib/rancher/k3s/server/db/snapshots/homelab-backup-n1-1738332000"\n' +
        'time="2025-01-31T14:00:01Z" level=info msg="Snapshot homelab-backup-n1-1738332000 saved."',
      "/var/lib/rancher/k3s/server/db/snapshots/homelab-backup-n1-1738332000",
    ],
    [
      "terminal format, as in k3s's docs",
      "INFO[0155] Snapshot homelab-backup-n1-1738332000 saved.",
      "/var/lib/rancher/k3s/server/db/snapshots/homelab-backup-n1-1738332000",
    ],
    [
      "a custom snapshot directory",
      'msg="Saving etcd snapshot to /srv/etcd/homelab-backup-n1-5"',
      "/srv/etcd/homelab-backup-n1-5",
    ],
    ["another name", "INFO[0001] Snapshot on-demand-n1-5 saved.", undefined],
    ["nothing", "", undefined],
  ])("%s", (_name, output, expected) => {
    expect(savedSnapshotPath(output, "homelab-backup")).toBe(expected);
  });

  it("picks the newest matching file from a directory listing", () => {
    const listing =
      "homelab-backup-n1-100\nhomelab-backup-n1-300\nhomelab-other-n1-900\non-demand-n1-999\nhomelab-backup-n1-200\n";
    expect(newestSnapshotIn(listing, "homelab-backup")).toBe("homelab-backup-n1-300");
    expect(newestSnapshotIn("on-demand-n1-1\n", "homelab-backup")).toBeUndefined();
  });
});

describeWithTools(SSHD_TOOLS, "against a real sshd (stand-in sudo and k3s)", () => {
  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), "homelab-take-"));
    log = join(work, "commands.log");
    knownHosts = join(work, "known_hosts");
    node = await startStandInNode({ node: "hl-server-1", log, etcd });
  });

  afterAll(async () => {
    await node?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  afterEach(() => {
    node.injectFaults();
    node.setSaveOutput("logrus");
    clearCommandLog(log);
  });

  describe("takeSnapshot (real sshd, stand-in sudo and k3s)", () => {
    it("saves on the server, streams the file back, verifies and stores it privately with its record", async () => {
      const dir = freshDir();
      const received: number[] = [];
      const { snapshot, pruned } = await take(dir, { onBytes: (bytes) => received.push(bytes) });
      expect(pruned).toEqual([]);
      const commands = readCommandLog(log);
      expect(commands).toHaveLength(2);
      expect(commands[0]).toBe("hl-server-1: sudo /opt/bin/k3s etcd-snapshot save --name homelab-backup");
      expect(commands[1]).toMatch(
        /^hl-server-1: sudo cat \/var\/lib\/rancher\/k3s\/server\/db\/snapshots\/homelab-backup-hl-server-1-\d+$/,
      );
      const { record } = snapshot;
      expect(record).toMatchObject({
        formatVersion: 1,
        environment: "snaptest",
        node: "hl-server-1",
        reason: "backup",
        takenAt: "2025-01-31T14:00:00.000Z",
        size: etcd.length,
        sha256: sha256(etcd),
        pageSize: 4096,
      });
      expect(record.name).toMatch(/^homelab-backup-hl-server-1-\d+$/);
      expect(record.remotePath).toBe(`/var/lib/rancher/k3s/server/db/snapshots/${record.name}`);
      expect(readFileSync(snapshot.file).equals(etcd)).toBe(true);
      expect(JSON.parse(readFileSync(snapshot.recordFile, "utf8"))).toEqual(record);
      expect(readdirSync(dir).sort()).toEqual([`${record.name}.db`, `${record.name}.json`]);
      expect([modeOf(dir), modeOf(snapshot.file), modeOf(snapshot.recordFile)]).toEqual([
        "700",
        "600",
        "600",
      ]);
      expect(received[received.length - 1]).toBe(etcd.length);

      const verified = await verifySnapshot(snapshot.file);
      expect(verified.record).toEqual(record);
      const listed = await listSnapshots(dir);
      expect(listed.problems).toEqual([]);
      expect(listed.snapshots.map((s) => s.record.name)).toEqual([record.name]);
      expect(await resolveSnapshot(dir, record.name, "/")).toBe(snapshot.file);
      expect(await resolveSnapshot(dir, `${record.name}.db`, "/")).toBe(snapshot.file);
    });

    it.each(["tty", "silent"] as const)(
      "finds the file when k3s logs in %s format (silent: from the snapshot directory's listing)",
      async (mode) => {
        node.setSaveOutput(mode);
        const { snapshot } = await take(freshDir());
        expect(readFileSync(snapshot.file).equals(etcd)).toBe(true);
        const commands = readCommandLog(log);
        if (mode === "silent")
          expect(commands[1]).toBe("hl-server-1: sudo ls -1 /var/lib/rancher/k3s/server/db/snapshots");
        expect(commands).toHaveLength(mode === "silent" ? 3 : 2);
      },
    );

    const leftovers = (dir: string) => {
      try {
        return readdirSync(dir);
      } catch {
        return [];
      }
    };

    const faults: readonly { name: string; rule: string; code: string; message: RegExp }[] = [
      {
        name: "k3s fails to save",
        rule: "fail etcd-snapshot save",
        code: "snapshot-failed",
        message:
          /k3s could not take an etcd snapshot on hl-server-1: it exited with status 1: stand-in sudo: injected failure/,
      },
      {
        name: "the connection drops mid-transfer",
        rule: "drop-after:1000000 sudo cat",
        code: "snapshot-failed",
        message:
          /download of homelab-backup-hl-server-1-\d+ from hl-server-1 stopped after \d+ bytes: ssh failed or the connection dropped/,
      },
      {
        name: "the remote cat is killed mid-transfer",
        rule: "kill-after:1000000 sudo cat",
        code: "snapshot-failed",
        message: /stopped after 1000000 bytes/,
      },
      {
        name: "the remote file is truncated (cat succeeds with fewer bytes)",
        rule: "truncate",
        code: "snapshot-invalid",
        message: /is not a complete etcd snapshot: its size \(\d+ bytes\) is not a multiple of 512/,
      },
    ];

    it.each(faults)(
      "$name: $code, nothing left in the snapshots directory",
      async ({ rule, code, message }) => {
        const dir = freshDir();
        if (rule === "truncate") {
          // The server's etcd state itself is cut short: k3s "saves" a damaged file.
          node.setEtcdState(etcd.subarray(0, etcd.length - 1000));
        } else node.injectFaults(rule);
        try {
          const error = await failure(take(dir));
          expect(error.code).toBe(code);
          expect(error.message).toMatch(message);
          expect(error.fix).toBeTruthy();
          expect(leftovers(dir)).toEqual([]);
        } finally {
          node.setEtcdState(etcd);
        }
      },
    );

    itWithTools(
      [...SSHD_TOOLS, "mount"],
      "a full disk: snapshot-failed naming the file, nothing left behind",
      async () => {
        const mount = mkdtempSync(join(tmpdir(), "homelab-full-"));
        execFileSync(toolPath("mount"), ["-t", "tmpfs", "-o", "size=1m,mode=0700", "tmpfs", mount]);
        try {
          const dir = join(mount, "snapshots");
          const error = await failure(take(dir));
          expect(error.code).toBe("snapshot-failed");
          expect(error.message).toMatch(
            /cannot write the snapshot to .*\.homelab-backup-hl-server-1-\d+\.db\.part: .*no space left on device/i,
          );
          expect(error.fix).toMatch(/Free disk space/);
          expect(readdirSync(dir)).toEqual([]);
        } finally {
          execFileSync("umount", [mount]);
          rmSync(mount, { recursive: true, force: true });
        }
      },
    );

    it("refuses a snapshots directory others can read", async () => {
      const dir = freshDir();
      execFileSync("mkdir", ["-p", "-m", "0755", dir]);
      const error = await failure(take(dir));
      expect(error.code).toBe("secret-unsafe-permissions");
      expect(readCommandLog(log)).toEqual([]);
    });

    it("keeps the newest N per reason and environment, and leaves other reasons alone", async () => {
      const dir = freshDir();
      const names: string[] = [];
      for (let i = 0; i < 4; i++) {
        // Distinct k3s names need distinct seconds: record them under crafted names instead of waiting.
        const { snapshot } = await take(dir, { takenAt: new Date(Date.UTC(2025, 0, 1, 0, i)), keep: 10 });
        const name = `homelab-backup-hl-server-1-${1000 + i}`;
        const record = { ...snapshot.record, name };
        writeFileSync(join(dir, `${name}.db`), readFileSync(snapshot.file), { mode: 0o600 });
        writeFileSync(join(dir, `${name}.json`), `${JSON.stringify(record)}\n`, { mode: 0o600 });
        rmSync(snapshot.file);
        rmSync(snapshot.recordFile);
        names.push(name);
      }
      const { snapshot: other } = await take(dir, {
        reason: "pre-rebuild",
        takenAt: new Date(Date.UTC(2024, 0, 1)),
      });
      const removed = await pruneSnapshots(dir, { environment: "snaptest", reason: "backup", keep: 2 });
      expect(removed.map((r) => r.name)).toEqual([names[1], names[0]]);
      const listed = await listSnapshots(dir);
      expect(listed.snapshots.map((s) => s.record.name)).toEqual([names[3], names[2], other.record.name]);
      expect(listed.problems).toEqual([]);
    });
  });

  describe("listSnapshots and verifySnapshot refuse what they cannot trust", () => {
    let dir: string;
    let name: string;
    beforeAll(async () => {
      dir = freshDir();
      const { snapshot } = await take(dir);
      name = snapshot.record.name;
    });

    const damage: readonly {
      name: string;
      edit: (file: string, recordFile: string) => void;
      code: string;
      message: RegExp;
      listed: RegExp;
    }[] = [
      {
        name: "missing record",
        edit: (_file, recordFile) => rmSync(recordFile),
        code: "snapshot-invalid",
        message: /cannot be trusted: its record is missing/,
        listed: /its record is missing/,
      },
      {
        name: "record that is not JSON",
        edit: (_file, recordFile) => writeFileSync(recordFile, "{"),
        code: "snapshot-invalid",
        message: /its record is invalid: it is not JSON/,
        listed: /not JSON/,
      },
      {
        name: "record with a wrong SHA-256",
        edit: (_file, recordFile) => {
          const record = JSON.parse(readFileSync(recordFile, "utf8"));
          writeFileSync(recordFile, JSON.stringify({ ...record, sha256: "0".repeat(64) }));
        },
        code: "snapshot-invalid",
        message: /is not the one its record describes/,
        listed: /^$/,
      },
      {
        name: "snapshot truncated by one byte",
        edit: (file) => writeFileSync(file, readFileSync(file).subarray(0, -1)),
        code: "snapshot-invalid",
        message: /is damaged: its size/,
        listed: /bytes, its record says/,
      },
      {
        name: "snapshot readable by others",
        edit: (file) => execFileSync("chmod", ["0644", file]),
        code: "secret-unsafe-permissions",
        message: /mode 0644/,
        listed: /^$/,
      },
    ];

    it.each(damage)("$name", async ({ edit, code, message, listed }) => {
      const copy = freshDir();
      execFileSync("mkdir", ["-p", "-m", "0700", copy]);
      execFileSync("cp", ["-p", join(dir, `${name}.db`), join(dir, `${name}.json`), copy]);
      const file = join(copy, `${name}.db`);
      edit(file, join(copy, `${name}.json`));
      const error = await failure(verifySnapshot(file));
      expect(error.code).toBe(code);
      expect(error.message).toMatch(message);
      expect(error.where?.file).toBeTruthy();
      const listing = await listSnapshots(copy);
      const problem = listing.problems.map((p) => p.message).join("\n");
      expect(problem).toMatch(listed);
      if (listed.source !== "^$") expect(listing.snapshots).toEqual([]);
    });

    it("a missing snapshot is snapshot-not-found, naming the stored ones", async () => {
      const error = await failure(resolveSnapshot(dir, "homelab-backup-nope-1", "/"));
      expect(error.code).toBe("snapshot-not-found");
      expect(error.fix).toContain(name);
      const missing = await failure(verifySnapshot(join(dir, "gone.db")));
      expect(missing.code).toBe("snapshot-not-found");
    });
  });

  describe("takeSnapshotFromAny", () => {
    it("skips a server that does not answer and takes the snapshot on the next", async () => {
      const dead = {
        node: "hl-server-0",
        target: { host: "127.0.0.1", port: 1, identityFile: "/nonexistent", knownHostsFile: knownHosts },
      };
      const skipped: string[] = [];
      const taken = await takeSnapshotFromAny({
        servers: [dead, node.server(knownHosts)],
        environment: "snaptest",
        snapshotsDir: freshDir(),
        reason: "backup",
        takenAt: new Date("2025-01-31T14:00:00.000Z"),
        onSkipped: (n, why) => skipped.push(`${n}: ${why}`),
      });
      expect(taken.server).toBe("hl-server-1");
      expect(skipped).toEqual([expect.stringMatching(/^hl-server-0: ssh failed/)]);
    });

    it("fails with every server's reason when none answers", async () => {
      const dead = (n: number) => ({
        node: `hl-server-${n}`,
        target: { host: "127.0.0.1", port: n, identityFile: "/nonexistent", knownHostsFile: knownHosts },
      });
      const error = await failure(
        takeSnapshotFromAny({
          servers: [dead(1), dead(2)],
          environment: "snaptest",
          snapshotsDir: freshDir(),
          reason: "backup",
          takenAt: new Date(),
        }),
      );
      expect(error.code).toBe("snapshot-failed");
      expect(error.details.map((d) => d.message)).toEqual([
        expect.stringMatching(/^hl-server-1: /),
        expect.stringMatching(/^hl-server-2: /),
      ]);
    });
  });
});
