import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { toolPath } from "./real-tools.js";

/**
 * A real containerd (Debian's `containerd`), started by the suite as root on a unix socket in a
 * scratch directory, with its CRI plugin off (no kubelet here). k3s imports image archives with
 * this same importer (containerd's client.Import in the `k8s.io` namespace, all platforms, no
 * unpack: k3s-io/k3s pkg/agent/containerd/containerd.go, preloadFile), which `ctr images import
 * --all-platforms --no-unpack` drives too. Suites declare CONTAINERD_TOOLS (real-tools.ts).
 */
export interface Containerd {
  readonly socket: string;
  /** `ctr` against this daemon in the k8s.io namespace; throws with ctr's output on failure. */
  ctr(args: readonly string[]): string;
  /** `ctr … images import`; returns ctr's output, or throws with it. */
  importArchive(path: string): string;
  /** The images the namespace holds: name → manifest digest. */
  images(): Map<string, string>;
  stop(): Promise<void>;
}

export async function startContainerd(): Promise<Containerd> {
  const directory = mkdtempSync(join(tmpdir(), "homelab-containerd-"));
  const socket = join(directory, "containerd.sock");
  const config = join(directory, "config.toml");
  writeFileSync(
    config,
    [
      "version = 2",
      'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
      "[grpc]",
      `  address = "${socket}"`,
      "[ttrpc]",
      `  address = "${join(directory, "ttrpc.sock")}"`,
      "",
    ].join("\n"),
  );
  let output = "";
  const daemon: ChildProcess = spawn(
    toolPath("containerd"),
    [
      "--config",
      config,
      "--root",
      join(directory, "root"),
      "--state",
      join(directory, "state"),
      "--address",
      socket,
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  daemon.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  daemon.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const ctr = (args: readonly string[]): string => {
    const run = spawnSync(toolPath("ctr"), ["--address", socket, "--namespace", "k8s.io", ...args], {
      encoding: "utf8",
      timeout: 60_000,
    });
    if (run.status !== 0) throw new Error(`ctr ${args.join(" ")} failed: ${run.stdout}${run.stderr}`);
    return run.stdout;
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (daemon.exitCode !== null) throw new Error(`containerd exited: ${output}`);
    if (existsSync(socket) && spawnSync(toolPath("ctr"), ["--address", socket, "version"]).status === 0)
      break;
    if (Date.now() > deadline) {
      daemon.kill("SIGKILL");
      throw new Error(`containerd did not answer on ${socket} within 60 s: ${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return {
    socket,
    ctr,
    importArchive: (path) => ctr(["images", "import", "--all-platforms", "--no-unpack", path]),
    images: () => {
      const names = new Map<string, string>();
      for (const line of ctr(["images", "ls", "--quiet"]).split("\n").filter(Boolean)) {
        const digest = /sha256:[0-9a-f]{64}/.exec(ctr(["images", "ls", `name==${line}`]))?.[0];
        if (digest) names.set(line, digest);
      }
      return names;
    },
    stop: async () => {
      if (daemon.exitCode === null) {
        daemon.kill("SIGTERM");
        await new Promise((resolve) => {
          const timer = setTimeout(() => {
            daemon.kill("SIGKILL");
            resolve(undefined);
          }, 10_000);
          daemon.once("exit", () => {
            clearTimeout(timer);
            resolve(undefined);
          });
        });
      }
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
