/**
 * A real OpenSSH server (Debian package openssh-server) on 127.0.0.1 for tests: its own host
 * key, config and authorized_keys in a temporary directory, started with `sshd -D -e` and
 * stopped by the test. It stands in for a node's sshd: the user is the test's own (root in CI),
 * not Flatcar's `core`. Tests using it declare `SSHD_TOOLS` (support/real-tools.ts).
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createConnection, createServer } from "node:net";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { generateSshKeyPair } from "../../src/secrets/index.js";
import { missingTools, missingToolsMessage, SSHD_TOOLS, toolPath } from "../support/real-tools.js";

export function requireSshTools(): void {
  const missing = missingTools(SSHD_TOOLS);
  if (missing.length > 0) throw new Error(missingToolsMessage(missing));
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    socket.once("data", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

export interface TestSshd {
  readonly address: string;
  readonly port: number;
  readonly user: string;
  readonly dir: string;
  /** homelab-style key pair (made by homelab's own generator) allowed to log in. */
  readonly identityFile: string;
  /** Restarts the server with a new host key, as a rebuilt node would come back. */
  rotateHostKey(): Promise<void>;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

export interface SshdOptions {
  /** Loopback address to listen on (default 127.0.0.1); any of 127.0.0.0/8 works on Linux. */
  readonly address?: string;
  /** Default: a free port. 22 on a 127.x address lets a node's plan address be used as is (needs root). */
  readonly port?: number;
  /** More sshd_config lines, e.g. `SetEnv PATH=<stand-ins>:/usr/bin:/bin`. */
  readonly extraConfig?: readonly string[];
}

export async function startSshd(options: SshdOptions = {}): Promise<TestSshd> {
  requireSshTools();
  const dir = await mkdtemp(join(tmpdir(), "homelab-sshd-"));
  mkdirSync("/run/sshd", { recursive: true, mode: 0o755 }); // privilege separation directory
  const address = options.address ?? "127.0.0.1";
  const port = options.port ?? (await freePort());
  const user = userInfo().username;
  const hostKey = join(dir, "host_ed25519");
  const identityFile = join(dir, "id_ed25519");
  const pair = generateSshKeyPair("homelab@test");
  writeFileSync(identityFile, pair.privateKey, { mode: 0o600 });
  writeFileSync(join(dir, "authorized_keys"), pair.publicKey, { mode: 0o600 });
  const config = join(dir, "sshd_config");
  writeFileSync(
    config,
    [
      `ListenAddress ${address}:${port}`,
      `HostKey ${hostKey}`,
      `AuthorizedKeysFile ${join(dir, "authorized_keys")}`,
      "PasswordAuthentication no",
      "KbdInteractiveAuthentication no",
      "UsePAM no",
      "StrictModes no",
      "PermitRootLogin prohibit-password",
      "PidFile none",
      ...(options.extraConfig ?? []),
      "",
    ].join("\n"),
  );
  let child: ChildProcess | undefined;
  const newHostKey = () => {
    execFileSync("rm", ["-f", hostKey, `${hostKey}.pub`]);
    execFileSync(toolPath("ssh-keygen"), ["-q", "-t", "ed25519", "-N", "", "-f", hostKey]);
  };
  const start = async () => {
    child = spawn(toolPath("sshd"), ["-D", "-e", "-f", config], { stdio: ["ignore", "ignore", "pipe"] });
    const spawned = child;
    running.add(spawned);
    spawned.once("exit", () => running.delete(spawned));
    let log = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      log += chunk.toString();
    });
    const started = child;
    const deadline = Date.now() + 10_000;
    while (!(await accepts(address, port))) {
      if (Date.now() > deadline || started.exitCode !== null) {
        started.kill("SIGKILL"); // never leave a half-started sshd behind
        throw new Error(`sshd did not start:\n${log}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const stop = async () => {
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child?.once("exit", resolve));
    child.kill("SIGTERM");
    await exited;
  };
  newHostKey();
  await start();
  return {
    address,
    port,
    user,
    dir,
    identityFile,
    rotateHostKey: async () => {
      await stop();
      newHostKey();
      await start();
    },
    stop: async () => {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
