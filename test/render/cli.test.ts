import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * `homelab render` and `homelab show` as a user runs them: the built CLI (`npm test` builds it
 * first), in the repository, with state and cache in a scratch directory.
 */
const repository = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const bin = join(repository, "bin", "homelab.js");

let scratch: string;
beforeAll(async () => {
  if (!existsSync(join(repository, "dist", "cli", "main.js"))) {
    throw new Error("dist/ is missing: run `npm run build` (npm test does it) before these tests");
  }
  scratch = await mkdtemp(join(tmpdir(), "homelab-cli-render-"));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

function homelab(args: readonly string[]) {
  const run = spawnSync(process.execPath, [bin, ...args], {
    cwd: repository,
    encoding: "utf8",
    env: {
      ...process.env,
      HOMELAB_STATE_DIR: join(scratch, "state"),
      HOMELAB_CACHE_DIR: join(scratch, "cache"),
      NO_COLOR: "1",
    },
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe("homelab render", () => {
  it.each(["development", "staging", "production"])(
    "renders %s: exit 0, a summary, the same bytes twice",
    async (name) => {
      const out = join(scratch, "out", name);
      const first = homelab(["render", name, "--out", out]);
      expect(first.stderr).not.toMatch(/error/);
      expect(first.status).toBe(0);
      expect(first.stdout).toContain(`Rendered ${name}`);
      const bytes = await readFile(join(out, "main.tf.json"), "utf8");
      expect(homelab(["render", name, "--out", out]).status).toBe(0);
      expect(await readFile(join(out, "main.tf.json"), "utf8")).toBe(bytes);
    },
  );

  it("--json prints events, the last one the result with every node", () => {
    const run = homelab(["render", "staging", "--out", join(scratch, "json"), "--json"]);
    expect(run.status).toBe(0);
    const events = run.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    const result = events.at(-1);
    expect(result.type).toBe("result");
    expect(result.nodes.map((node: { name: string }) => node.name)).toEqual([
      "k3s-stg-server-1",
      "k3s-stg-agent-1",
      "k3s-stg-agent-2",
      "k3s-stg-agent-3",
    ]);
    expect(result.files).toContain("main.tf.json");
  });

  it("--image makes a local image the default of var.flatcar_image", async () => {
    const out = join(scratch, "image");
    const run = homelab(["render", "development", "--out", out, "--image", "images/flatcar.qcow2"]);
    expect(run.status).toBe(0);
    const config = JSON.parse(await readFile(join(out, "main.tf.json"), "utf8"));
    expect(config.variable.flatcar_image.default).toBe(join(repository, "images", "flatcar.qcow2"));
  });

  it("a reader that stops early (| head) ends the CLI quietly", () => {
    const run = spawnSync("sh", ["-c", `"${process.execPath}" "${bin}" up --help | head -1`], {
      encoding: "utf8",
    });
    expect(run.stdout).toBe("Usage: homelab up [options] [env]\n");
    expect(run.stderr).toBe("");
  });

  it("refuses to replace the repository root, with a located error and no stack trace", () => {
    const run = homelab(["render", "development", "--out", "."]);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("error[render-out-refused]");
    expect(run.stderr).toContain("docs/common-errors/render-out-refused.md");
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it("an unknown environment is env-not-found", () => {
    const run = homelab(["render", "nonexistent", "--out", join(scratch, "none")]);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("error[env-not-found]");
  });
});

describe("homelab show", () => {
  it("draws the environment with box-drawing characters", () => {
    const run = homelab(["show", "production", "--width", "100"]);
    expect(run.status).toBe(0);
    for (const text of [
      "k3s-prod-server-1",
      "192.168.142.10",
      "k3s-prod-agent-3",
      "qemu:///system",
      "k3s-prod-net",
      "┌",
    ]) {
      expect(run.stdout).toContain(text);
    }
  });

  it("--ascii draws with ASCII only, within the width", () => {
    const run = homelab(["show", "production", "--ascii", "--width", "60"]);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^[\x20-\x7e\n]+$/);
    for (const line of run.stdout.split("\n")) expect(line.length).toBeLessThanOrEqual(60);
  });

  it("--json gives the plan as data", () => {
    const run = homelab(["show", "development", "--json"]);
    expect(run.status).toBe(0);
    const result = JSON.parse(run.stdout.trim().split("\n").at(-1) ?? "{}");
    expect(result.plan.nodes).toHaveLength(3);
    expect(result.plan.firstServer).toBe("k3s-dev-server-1");
    expect(result.plan.network.cidr).toBe("192.168.140.0/24");
  });
});
