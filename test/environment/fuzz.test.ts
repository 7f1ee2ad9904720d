import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import development from "../../environments/development.js";
import production from "../../environments/production.js";
import staging from "../../environments/staging.js";
import { errorEvent, formatError, HomelabError } from "../../src/errors/index.js";
import { prepareRender } from "../../src/render/index.js";
import { environmentFile, type FuzzCase, type FuzzNode, fromValue, fuzzCase, mutate } from "./fuzz-cases.js";

/**
 * Fuzzed environments (issue 14, defect 6): valid environments, mutated (wrong types, huge
 * numbers, deep nesting, long and odd strings, `__proto__`/`constructor` keys, cycles, getters
 * that throw or exit, NaN, bigint, symbols, proxies …), written as JSON, .mjs or .ts files and
 * rendered through `prepareRender` — what `homelab render` runs. Only located errors may come
 * out: a HomelabError with a code other than `internal`, a file, no stack trace, bounded size.
 * Time is bounded by design: every evaluation runs in the child under its time limit and the
 * schema bounds what a plan can hold.
 */

const repository = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const scratch = mkdtempSync(join(tmpdir(), "homelab-fuzz-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const BASES: FuzzNode[] = [
  fromValue(development),
  fromValue(staging),
  fromValue(production),
  fromValue({
    name: "lab",
    prefix: "lab",
    network: {
      mode: "bridge",
      bridge: "br0",
      cidr: "10.77.0.0/24",
      gateway: "10.77.0.1",
      dns: ["10.77.0.1"],
    },
    pool: { existing: true, name: "default" },
    machine: { type: "qemu" },
    servers: { count: 3, snippets: ["variant: flatcar\nversion: 1.0.0\n"], labels: ["zone=a"] },
    agents: { count: 2, taints: ["gpu=yes:NoSchedule"] },
    nodes: { "lab-agent-2": { vcpu: 4, memoryMiB: 4096, address: "10.77.0.99", mac: "52:54:00:aa:bb:cc" } },
    ssh: { authorizedKeys: [] },
    updates: { strategy: "off" },
    k3s: {
      serverConfig: { "kube-apiserver-arg": ["audit-log-maxage=7"] },
      agentConfig: { "kubelet-arg": ["max-pods=150"] },
    },
    gitops: { url: "ssh://git@github.com/example/lab.git", branch: "main" },
  }),
];

const SIBLING = fromValue({ name: "sibling", prefix: "sib", network: { cidr: "10.99.0.0/24" } });

/** Limits for the fuzz: small enough that a runaway case ends quickly, large enough for real ones. */
const LIMITS = { timeoutMs: 3_000 };

let counter = 0;
function writeProject(c: FuzzCase): { cwd: string; environment: string } {
  const cwd = join(scratch, `case-${++counter}`);
  mkdirSync(join(cwd, "environments"), { recursive: true });
  const base = BASES[c.base] ?? BASES[0];
  if (!base) throw new Error("no base");
  const self = c.target === "self" ? mutate(base, c.mutations) : base;
  const sibling = c.target === "sibling" ? mutate(SIBLING, c.mutations) : SIBLING;
  const plain = { format: c.format, statement: "none", exportForm: "default", cut: 1 } as const;
  const main = environmentFile("subject", self, c.target === "self" ? c : plain);
  const other = environmentFile("sibling", sibling, c.target === "sibling" ? c : plain);
  writeFileSync(join(cwd, "environments", main.file), main.text);
  writeFileSync(join(cwd, "environments", other.file), other.text);
  return { cwd, environment: "subject" };
}

const MAX_OUTPUT = 64 * 1024;

/** The properties every failure must have; returns a description of the first one violated. */
function problemWith(error: unknown): string | undefined {
  if (!(error instanceof HomelabError)) return `not a HomelabError: ${String(error).slice(0, 300)}`;
  if (error.code === "internal") return `internal: ${error.message.slice(0, 300)}`;
  if (!error.where?.file) return `no file in where: [${error.code}] ${error.message.slice(0, 300)}`;
  const human = formatError(error);
  if (/\n\s+at .+:\d+:\d+/.test(human)) return `stack trace in: ${human.slice(0, 300)}`;
  if (human.length > MAX_OUTPUT) return `human output of ${human.length} characters: ${human.slice(0, 200)}`;
  const json = JSON.stringify(errorEvent(error));
  if (json.length > MAX_OUTPUT) return `--json event of ${json.length} characters`;
  if (json.includes("\n")) return "--json event spans lines";
  return undefined;
}

const codes = new Map<string, number>();

describe("fuzzed environments give located errors only", () => {
  it.each(BASES.map((_, index) => index))("base environment %i renders unmutated", async (base) => {
    const { cwd, environment } = writeProject({
      base,
      mutations: [],
      statement: "none",
      exportForm: "default",
      cut: 1,
      target: "self",
      format: "mjs",
    });
    const prepared = await prepareRender({
      environment,
      cwd,
      home: join(cwd, "home"),
      stateRoot: join(scratch, "state"),
      cacheRoot: join(scratch, "cache"),
    });
    expect(prepared.plan.nodes.length).toBeGreaterThan(0);
  });

  it("500 mutated environments through prepareRender (fixed seed)", async () => {
    let rendered = 0;
    await fc.assert(
      fc.asyncProperty(fuzzCase(BASES.length), async (c) => {
        const { cwd, environment } = writeProject(c);
        try {
          const prepared = await prepareRender({
            environment,
            cwd,
            home: join(cwd, "home"),
            stateRoot: join(scratch, "state"),
            cacheRoot: join(scratch, "cache"),
            limits: LIMITS,
          });
          rendered += 1;
          expect(prepared.plan.nodes.length).toBeLessThanOrEqual(7 + 250);
          for (const warning of prepared.warnings) expect(warning.message.length).toBeLessThan(4_000);
          codes.set("(rendered)", (codes.get("(rendered)") ?? 0) + 1);
        } catch (error) {
          const problem = problemWith(error);
          if (problem) throw new Error(`${problem}\n  case: ${JSON.stringify(c).slice(0, 1_000)}`);
          if (c.target === "sibling")
            throw new Error(`a broken sibling broke the environment: ${(error as HomelabError).message}`);
          const code = (error as HomelabError).code;
          codes.set(code, (codes.get(code) ?? 0) + 1);
        } finally {
          rmSync(cwd, { recursive: true, force: true });
        }
      }),
      { seed: 14_006, numRuns: 500, endOnFailure: true },
    );
    // Some cases must survive their mutations, or the fuzz only tests the first check.
    expect(rendered).toBeGreaterThan(25);
    expect(codes.size).toBeGreaterThan(4);
  }, 1_800_000);
});

const bin = join(repository, "bin", "homelab.js");

describe("fuzzed environments through the built CLI", () => {
  it("exit 0 or 1, NDJSON on stdout with --json, no internal, no stack trace (24 runs)", async () => {
    if (!existsSync(join(repository, "dist", "cli", "main.js")))
      throw new Error("dist/ is missing: run `npm run build` (npm test does it) before these tests");
    await fc.assert(
      fc.asyncProperty(fuzzCase(BASES.length, "often"), async (c) => {
        const { cwd, environment } = writeProject(c);
        try {
          const run = spawnSync(process.execPath, [bin, "render", environment, "--json"], {
            cwd,
            encoding: "utf8",
            maxBuffer: 4 * MAX_OUTPUT,
            // A guard only: the evaluator's own time limit ends every run long before this.
            timeout: 120_000,
            env: {
              PATH: process.env.PATH ?? "/usr/bin:/bin",
              HOME: join(cwd, "home"),
              HOMELAB_STATE_DIR: join(scratch, "cli-state"),
              HOMELAB_CACHE_DIR: join(scratch, "cli-cache"),
            },
          });
          expect([0, 1], run.stderr.slice(0, 500)).toContain(run.status);
          expect(run.stdout.length).toBeLessThan(2 * MAX_OUTPUT);
          const events = run.stdout
            .trim()
            .split("\n")
            .map((line) => JSON.parse(line) as { type: string; code?: string });
          const last = events.at(-1);
          expect(last?.type).toBe(run.status === 0 ? "result" : "error");
          expect(last?.code).not.toBe("internal");
          expect(run.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
        } finally {
          rmSync(cwd, { recursive: true, force: true });
        }
      }),
      { seed: 14_007, numRuns: 24, endOnFailure: true },
    );
  }, 900_000);
});
