// homelab doctor with the real libvirtd stopped on purpose (exclusive: waits until no other
// test file holds libvirtd, stops it, checks, starts it again).
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createHostProbes, runDoctor } from "../../src/doctor/index.js";
import { EnvironmentSchema } from "../../src/environment/schema.js";
import { domainStates } from "../../src/libvirt/index.js";
import { planCluster } from "../../src/plan/index.js";
import { libvirtdRunning, TEST_LIBVIRT_URI, withLibvirtdStopped } from "../support/libvirtd.js";
import { describeWithTools, LIBVIRT_TOOLS } from "../support/real-tools.js";

const root = join(import.meta.dirname, "..", "..");
let scratch: string;

const input = {
  name: "stopped",
  prefix: "hl-stopped",
  libvirt: { uri: TEST_LIBVIRT_URI },
  machine: { type: "qemu" as const },
  network: { mode: "nat" as const, cidr: "192.168.232.0/24" },
  servers: { count: 1, vcpu: 1, memoryMiB: 2048, diskGiB: 10 },
  agents: { count: 0, vcpu: 1, memoryMiB: 1024, diskGiB: 10 },
  ssh: { authorizedKeys: [] },
};

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), "homelab-stopped-"));
  chmodSync(scratch, 0o755);
});
afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describeWithTools(LIBVIRT_TOOLS, "doctor with libvirtd stopped", () => {
  it(
    "fails clearly (library and CLI), and libvirt answers again afterwards",
    async () => {
      await withLibvirtdStopped(async () => {
        const environment = EnvironmentSchema.parse(input);
        const plan = planCluster(environment, { file: "environments/stopped.json" });
        const report = await runDoctor(plan, {
          probes: createHostProbes({ searchPath: process.env.PATH, home: scratch }),
          image: { cacheDir: join(scratch, "cache"), cached: false },
        });
        const libvirt = report.checks.find((check) => check.id === "libvirt");
        expect(libvirt).toMatchObject({ status: "failure", code: "libvirt-unreachable" });
        expect(libvirt?.summary).toMatch(
          /libvirt does not answer at qemu:\/\/\/system: Failed to connect socket to '\/var\/run\/libvirt\/libvirt-sock'/,
        );
        expect(report.blocking).toBe(true);
        await expect(domainStates(TEST_LIBVIRT_URI, ["x"])).rejects.toMatchObject({
          code: "libvirt-unreachable",
        });

        expect(
          existsSync(join(root, "dist", "cli", "main.js")),
          "dist/ is missing: run `npm run build` (npm test does)",
        ).toBe(true);
        const envFile = join(scratch, "stopped.json");
        writeFileSync(envFile, JSON.stringify(input));
        const run = spawnSync(process.execPath, [join(root, "bin", "homelab.js"), "doctor", envFile], {
          encoding: "utf8",
          cwd: scratch,
          env: { ...process.env, HOMELAB_CACHE_DIR: join(scratch, "cache") },
        });
        expect(run.status).toBe(1);
        expect(run.stdout).toMatch(/^✖ libvirt +libvirt does not answer at qemu:\/\/\/system/m);
        // As root (the tests' user), without sudo.
        expect(run.stdout).toContain("    systemctl enable --now libvirtd\n");
        expect(run.stdout).toContain("docs: docs/common-errors/libvirt-unreachable.md");
        expect(run.stdout + run.stderr).not.toMatch(/\n\s+at /); // no stack trace
      });
      expect(libvirtdRunning()).toBe(true);
    },
    15 * 60_000,
  );
});
