/**
 * A real libvirtd (Debian packages, QEMU driver) for tests, started by the test suite itself:
 * no systemd here, so the helper creates the directories and the `libvirt-qemu` user the
 * Debian build of the QEMU driver expects, then runs `virtlogd -d` and `libvirtd -d` as root
 * and waits until `virsh -c qemu:///system version` answers.
 *
 * Test files run in parallel forks, and one test stops the daemon on purpose. So access goes
 * through a cross-process readers/writer lock in the temp directory:
 *
 *   const lease = await acquireLibvirtd();   // beforeAll: shared, starts the daemon if needed
 *   lease.release();                          // afterAll
 *   await withLibvirtdStopped(async () => …); // exclusive: waits for every lease, stops the
 *                                             // daemon, runs, starts it again
 *
 * A process must not call withLibvirtdStopped while it holds a lease (it would wait forever).
 * Tests declare `LIBVIRT_TOOLS` with describeWithTools (real-tools.ts): without them they are
 * skipped, or fail on CI; an undeclared use fails with the Debian packages to install.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LIBVIRT_TOOLS, missingTools, missingToolsMessage } from "./real-tools.js";

/** The URI tests use: the system daemon on its unix socket. */
export const TEST_LIBVIRT_URI = "qemu:///system";
export const LIBVIRT_SOCKET = "/var/run/libvirt/libvirt-sock";
const LIBVIRTD_PIDFILE = "/var/run/libvirtd.pid";
const VIRTLOGD_PIDFILE = "/var/run/virtlogd.pid";
/** Where test domains keep their disks: a directory the QEMU user can traverse. */
export const TEST_IMAGES_DIR = "/var/lib/libvirt/images";

const LOCK_ROOT = join(tmpdir(), "homelab-test-libvirtd");
const READERS = join(LOCK_ROOT, "readers");
const WRITER = join(LOCK_ROOT, "writer");
const STARTING = join(LOCK_ROOT, "starting");

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Throws (fails the test) naming the Debian packages when something the tests need is missing. */
export function requireLibvirtTools(): void {
  const missing = missingTools(LIBVIRT_TOOLS);
  if (missing.length > 0) throw new Error(missingToolsMessage(missing));
}

function processAlive(pid: number, name?: string): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  if (name === undefined) return true;
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim() === name;
  } catch {
    return false;
  }
}

function daemonPid(pidfile: string, name: string): number | undefined {
  try {
    const pid = Number(readFileSync(pidfile, "utf8").trim());
    return Number.isInteger(pid) && pid > 0 && processAlive(pid, name) ? pid : undefined;
  } catch {
    return undefined;
  }
}

function virshAnswers(): { ok: boolean; stderr: string } {
  const result = spawnSync("virsh", ["-c", TEST_LIBVIRT_URI, "version"], {
    encoding: "utf8",
    env: { ...process.env, LC_ALL: "C" },
    timeout: 10_000,
  });
  return { ok: result.status === 0, stderr: result.stderr ?? "" };
}

/** True when libvirtd (the one this helper manages) is running and answering. */
export function libvirtdRunning(): boolean {
  return daemonPid(LIBVIRTD_PIDFILE, "libvirtd") !== undefined && virshAnswers().ok;
}

function ensureHostSetup(): void {
  for (const dir of ["/var/log/libvirt", "/var/run/libvirt", TEST_IMAGES_DIR])
    mkdirSync(dir, { recursive: true });
  const has = (database: string, name: string) =>
    spawnSync("getent", [database, name], { stdio: "ignore" }).status === 0;
  if (!has("group", "kvm")) execFileSync("groupadd", ["-r", "kvm"]);
  if (!has("group", "libvirt-qemu")) execFileSync("groupadd", ["-r", "libvirt-qemu"]);
  if (!has("passwd", "libvirt-qemu"))
    execFileSync("useradd", ["-r", "-g", "libvirt-qemu", "-G", "kvm", "libvirt-qemu"]);
}

/** Holds a directory lock made with mkdir (atomic); a lock whose owner died is taken over. */
async function withMkdirLock<T>(dir: string, work: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      mkdirSync(dir);
      writeFileSync(join(dir, "owner"), String(process.pid));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const owner = Number(readFileSyncSafe(join(dir, "owner")));
      if (owner > 0 && !processAlive(owner)) rmSync(dir, { recursive: true, force: true });
      else await sleep(100);
    }
  }
  try {
    return await work();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function readFileSyncSafe(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

async function waitUntil(what: string, condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

/** Starts virtlogd and libvirtd unless they run, then waits until virsh answers. */
export async function startLibvirtd(): Promise<void> {
  requireLibvirtTools();
  mkdirSync(LOCK_ROOT, { recursive: true });
  await withMkdirLock(STARTING, async () => {
    ensureHostSetup();
    if (daemonPid(VIRTLOGD_PIDFILE, "virtlogd") === undefined) execFileSync("virtlogd", ["-d"]);
    if (daemonPid(LIBVIRTD_PIDFILE, "libvirtd") === undefined) execFileSync("libvirtd", ["-d"]);
    try {
      // Generous: on a loaded two-core machine libvirtd probes QEMU capabilities for tens of seconds.
      await waitUntil("libvirtd to answer on its socket", () => virshAnswers().ok, 120_000);
    } catch (error) {
      const { stderr } = virshAnswers();
      const hint = /no connection driver/i.test(stderr)
        ? " (apt-get install -y libvirt-daemon-driver-qemu)"
        : "";
      throw new Error(`${(error as Error).message}: ${stderr.trim()}${hint}`);
    }
  });
}

/** Stops the libvirtd this helper manages (by its pid file) and waits until its socket is gone. */
async function stopLibvirtd(): Promise<void> {
  const pid = daemonPid(LIBVIRTD_PIDFILE, "libvirtd");
  if (pid === undefined) return;
  process.kill(pid, "SIGTERM");
  await waitUntil("libvirtd to exit", () => !processAlive(pid, "libvirtd"), 30_000);
  await waitUntil("libvirtd's socket to disappear", () => !existsSync(LIBVIRT_SOCKET), 5_000);
}

function liveReaders(): string[] {
  mkdirSync(READERS, { recursive: true });
  return readdirSync(READERS).filter((entry) => {
    const pid = Number(entry.split("-")[0]);
    if (pid > 0 && processAlive(pid)) return true;
    rmSync(join(READERS, entry), { force: true });
    return false;
  });
}

function writerActive(): boolean {
  if (!existsSync(WRITER)) return false;
  const owner = Number(readFileSyncSafe(join(WRITER, "owner")));
  if (owner > 0 && !processAlive(owner)) {
    rmSync(WRITER, { recursive: true, force: true });
    return false;
  }
  return true;
}

export interface LibvirtdLease {
  readonly uri: string;
  release(): void;
}

const heldLeases = new Set<string>();
process.once("exit", () => {
  for (const file of heldLeases) rmSync(file, { force: true });
});

/**
 * A shared lease on a running libvirtd: starts it if needed, and keeps withLibvirtdStopped (in
 * any process) from stopping it until `release()`. Call in beforeAll, release in afterAll.
 */
export async function acquireLibvirtd(): Promise<LibvirtdLease> {
  requireLibvirtTools();
  mkdirSync(READERS, { recursive: true });
  const file = join(READERS, `${process.pid}-${Math.random().toString(36).slice(2)}`);
  for (;;) {
    while (writerActive()) await sleep(200);
    writeFileSync(file, "");
    if (!writerActive()) break;
    rmSync(file, { force: true }); // a writer came in between: let it finish first
  }
  heldLeases.add(file);
  try {
    await startLibvirtd();
  } catch (error) {
    heldLeases.delete(file);
    rmSync(file, { force: true });
    throw error;
  }
  return {
    uri: TEST_LIBVIRT_URI,
    release: () => {
      heldLeases.delete(file);
      rmSync(file, { force: true });
    },
  };
}

/**
 * Runs `work` while libvirtd is stopped, then starts it again (also when `work` fails). Waits
 * until no other process holds a lease; give the calling test or hook a long timeout.
 */
export async function withLibvirtdStopped<T>(work: () => Promise<T>): Promise<T> {
  requireLibvirtTools();
  mkdirSync(LOCK_ROOT, { recursive: true });
  return withMkdirLock(WRITER, async () => {
    await waitUntil("other test files to release libvirtd", () => liveReaders().length === 0, 600_000);
    await startLibvirtd(); // make sure there is a daemon, and that it is ours to stop
    await stopLibvirtd();
    try {
      return await work();
    } finally {
      await startLibvirtd();
    }
  });
}
