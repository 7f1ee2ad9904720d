/**
 * A homelab server for tests, made of a REAL sshd (test/ssh/sshd.ts) whose sessions find
 * STAND-IN scripts first on PATH (test/snapshots/stand-ins: sudo, k3s, systemctl; named as
 * stand-ins in docs/testing.md). The stand-in sudo keeps every node path under this node's own
 * root directory, so several "servers" run side by side on one machine and a test reads back
 * exactly what each one holds. Everything listens on 127.0.0.0/8 only.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, chownSync, copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { SnapshotNode } from "../../src/snapshots/index.js";
import { startSshd, type TestSshd } from "../ssh/sshd.js";

const STAND_INS = join(dirname(fileURLToPath(import.meta.url)), "stand-ins");
export const ETCD_STATE = "var/lib/rancher/k3s/server/db/etcd/state.snapshot";

/**
 * The CLI logs in as Flatcar's `core`, so CLI tests need that user here: created once
 * (system account, no home, no usable password but not locked — sshd without PAM refuses
 * locked accounts even for keys). Tests run as root, as CI does.
 */
export function ensureCoreUser(): { uid: number; gid: number } {
  const lookup = () => spawnSync("id", ["-u", "core"], { encoding: "utf8" });
  if (lookup().status !== 0) {
    const made = spawnSync(
      "useradd",
      ["--system", "--no-create-home", "--home-dir", "/tmp", "--shell", "/bin/sh", "-p", "*", "core"],
      {
        encoding: "utf8",
      },
    );
    // 9: another test file created it meanwhile.
    if (made.status !== 0 && made.status !== 9) throw new Error(`useradd core failed: ${made.stderr}`);
  }
  const uid = Number(execFileSync("id", ["-u", "core"], { encoding: "utf8" }).trim());
  const gid = Number(execFileSync("id", ["-g", "core"], { encoding: "utf8" }).trim());
  return { uid, gid };
}

export interface StandInNodeOptions {
  readonly node: string;
  /** Shared command log of a test cluster ("<node>: sudo …" lines). */
  readonly log: string;
  /** Default 127.0.0.1 with a free port; a 127.x address with port 22 for CLI tests. */
  readonly address?: string;
  readonly port?: number;
  /** Log in as `core` (CLI tests) instead of the test's own user. */
  readonly asCore?: boolean;
  /** /etc/rancher/k3s/config.yaml on the node. */
  readonly config?: string;
  /** The node's etcd state: what `etcd-snapshot save` copies out (a snapshot's bytes). */
  readonly etcd?: Buffer;
}

export interface StandInNode {
  readonly node: string;
  readonly sshd: TestSshd;
  /** The node's "/" (the stand-in sudo maps /etc, /var, /run, /opt below it). */
  readonly root: string;
  readonly user: string;
  /** The library's view of this server, recording host keys in `knownHostsFile`. */
  server(knownHostsFile: string): SnapshotNode;
  /** A path on the node, e.g. `/var/lib/homelab/restore/snapshot`, as a local path. */
  path(nodePath: string): string;
  etcdState(): Buffer | undefined;
  setEtcdState(bytes: Buffer): void;
  /** Lines "<action> <text>" for the stand-in sudo (see its header); none clears them. */
  injectFaults(...rules: string[]): void;
  /** How the stand-in k3s logs `etcd-snapshot save`: logrus (default), tty or silent. */
  setSaveOutput(mode: "logrus" | "tty" | "silent"): void;
  unitState(unit: string): string;
  stop(): Promise<void>;
}

export async function startStandInNode(options: StandInNodeOptions): Promise<StandInNode> {
  const base = await mkdtemp(join(tmpdir(), "homelab-node-"));
  chmodSync(base, 0o755);
  const root = join(base, "root");
  const standIns = join(base, "stand-ins");
  mkdirSync(standIns, { recursive: true, mode: 0o755 });
  for (const script of ["sudo", "k3s", "systemctl"]) {
    copyFileSync(join(STAND_INS, script), join(standIns, script));
    chmodSync(join(standIns, script), 0o755);
  }
  mkdirSync(join(root, "etc", "rancher", "k3s"), { recursive: true });
  mkdirSync(join(root, "var", "lib", "rancher", "k3s", "server", "db", "etcd", "member", "wal"), {
    recursive: true,
  });
  writeFileSync(
    join(root, "etc", "rancher", "k3s", "config.yaml"),
    options.config ?? "cluster-init: true\n",
    {
      mode: 0o600,
    },
  );
  if (options.etcd) writeFileSync(join(root, ETCD_STATE), options.etcd, { mode: 0o600 });
  writeFileSync(options.log, "", { flag: "a", mode: 0o666 });
  chmodSync(options.log, 0o666);
  let user: string | undefined;
  if (options.asCore) {
    const { uid, gid } = ensureCoreUser();
    user = "core";
    const chownTree = (path: string) => {
      execFileSync("chown", ["-R", `${uid}:${gid}`, path]);
    };
    chownTree(root);
    chownSync(standIns, uid, gid);
  }
  const sshd = await startSshd({
    ...(options.address === undefined ? {} : { address: options.address }),
    ...(options.port === undefined ? {} : { port: options.port }),
    extraConfig: [
      `SetEnv PATH=${standIns}:/usr/bin:/bin NODE_ROOT=${root} NODE_NAME=${options.node} STANDIN_DIR=${standIns} STANDIN_LOG=${options.log}`,
    ],
  });
  if (options.asCore) {
    // sshd reads authorized_keys as the user logging in: core must reach it (a public key).
    chmodSync(sshd.dir, 0o755);
    chmodSync(join(sshd.dir, "authorized_keys"), 0o644);
  }
  const loginUser = user ?? sshd.user;
  const path = (nodePath: string) => join(root, nodePath.replace(/^\//, ""));
  return {
    node: options.node,
    sshd,
    root,
    user: loginUser,
    server: (knownHostsFile) => ({
      node: options.node,
      target: {
        host: sshd.address,
        port: sshd.port,
        user: loginUser,
        identityFile: sshd.identityFile,
        knownHostsFile,
      },
    }),
    path,
    etcdState: () => {
      try {
        return readFileSync(path(`/${ETCD_STATE}`));
      } catch {
        return undefined;
      }
    },
    setEtcdState: (bytes) => {
      mkdirSync(dirname(path(`/${ETCD_STATE}`)), { recursive: true });
      writeFileSync(path(`/${ETCD_STATE}`), bytes);
    },
    injectFaults: (...rules) => {
      writeFileSync(join(standIns, "faults"), rules.map((rule) => `${rule}\n`).join(""));
    },
    setSaveOutput: (mode) => {
      writeFileSync(join(standIns, "save-output"), mode);
    },
    unitState: (unit) => {
      try {
        return readFileSync(path(`/run/stand-in-units/${unit}`), "utf8").trim();
      } catch {
        return "active";
      }
    },
    stop: async () => {
      await sshd.stop();
      rmSync(base, { recursive: true, force: true });
    },
  };
}

/** The shared command log, one entry per remote sudo command, in order. */
export function readCommandLog(log: string): string[] {
  try {
    return readFileSync(log, "utf8").split("\n").filter(Boolean);
  } catch {
    return [];
  }
}

export function clearCommandLog(log: string): void {
  writeFileSync(log, "");
}
