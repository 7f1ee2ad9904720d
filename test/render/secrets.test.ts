/**
 * Secrets as render creates and reuses them (src/secrets, src/render/render.ts): ten real
 * homelab processes rendering one new environment at once (the built CLI, `npm test` builds
 * it) agree on one token and one key pair; a secret of an applied environment (its OpenTofu
 * state records resources) that went missing is not silently made anew.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { beforeAll, describe, expect, it } from "vitest";
import renderCommand from "../../src/cli/commands/render/index.js";
import { renderEnvironment } from "../../src/render/index.js";
import { stateLayout } from "../../src/state/layout.js";
import { runCommand } from "../runner/cli-harness.js";
import { type TestRepo, testRepo } from "../runner/environment-repo.js";
import { snapshotTree } from "./tree.js";

const repository = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const bin = join(repository, "bin", "homelab.js");

beforeAll(() => {
  if (!existsSync(join(repository, "dist", "cli", "main.js")))
    throw new Error("dist/ is missing: run `npm run build` (npm test does it) before these tests");
});

function homelab(
  repo: TestRepo,
  args: readonly string[],
): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, [bin, ...args], {
      cwd: repo.cwd,
      env: { ...repo.env, NO_COLOR: "1" },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8");
    });
    child.once("close", (status) => resolvePromise({ status, stderr }));
  });
}

/** Every file content an Ignition config carries, decoded from its data URLs. */
function ignitionContents(ignition: string): string[] {
  const config = JSON.parse(ignition) as {
    storage?: { files?: { contents?: { source?: string; compression?: string } }[] };
    passwd?: { users?: { sshAuthorizedKeys?: string[] }[] };
  };
  const files = (config.storage?.files ?? []).map((file) => {
    const source = file.contents?.source ?? "";
    const comma = source.indexOf(",");
    const header = source.slice(0, comma);
    const data = source.slice(comma + 1);
    const bytes = header.endsWith(";base64")
      ? Buffer.from(data, "base64")
      : Buffer.from(decodeURIComponent(data));
    return (file.contents?.compression === "gzip" ? gunzipSync(bytes) : bytes).toString("utf8");
  });
  const keys = (config.passwd?.users ?? []).flatMap((user) => user.sshAuthorizedKeys ?? []);
  return [...files, ...keys];
}

describe("concurrent first renders (10 separate homelab processes)", () => {
  it("store one token, one key pair and one password per node, and every render uses them", async () => {
    for (let round = 0; round < 2; round++) {
      const repo = await testRepo("race", "hl-race");
      const runs = await Promise.all(
        Array.from({ length: 10 }, (_, index) =>
          homelab(repo, ["render", "race", "--out", join(repo.cwd, "out", String(index))]),
        ),
      );
      for (const run of runs) expect(run.stderr).not.toMatch(/error\[/);
      expect(runs.map((run) => run.status)).toEqual(Array(10).fill(0));
      const layout = stateLayout(join(repo.env.HOMELAB_STATE_DIR!, "race"));
      const token = (await readFile(layout.k3sToken, "utf8")).trim();
      const publicKey = (await readFile(layout.sshPublicKey, "utf8")).trim();
      const server = "ignition/hl-race-server-1.ign";
      const first = await readFile(join(repo.cwd, "out", "0", server), "utf8");
      expect(ignitionContents(first).some((text) => text.includes(token))).toBe(true);
      expect(ignitionContents(first)).toContain(publicKey);
      for (let index = 1; index < 10; index++) {
        expect(
          await readFile(join(repo.cwd, "out", String(index), server), "utf8"),
          `render ${index}, round ${round}`,
        ).toBe(first);
      }
      expect((await readdir(layout.dir)).sort()).toEqual(["k3s-token", "nodes", "ssh"]);
      // One node password each (its identity across rebuilds), the one its Ignition carries.
      const password = (await readFile(layout.node("hl-race-server-1").password, "utf8")).trim();
      expect(ignitionContents(first).some((text) => text.includes(password))).toBe(true);
      for (const node of await readdir(join(layout.dir, "nodes")))
        expect(await readdir(join(layout.dir, "nodes", node)), node).toEqual(["password"]);
      expect((await readdir(dirname(layout.sshPrivateKey))).sort()).toEqual(["id_ed25519", "id_ed25519.pub"]);
    }
  });
});

async function appliedRepo(name: string) {
  const repo = await testRepo(name, `hl-${name}`);
  const options = {
    environment: name,
    cwd: repo.cwd,
    home: repo.env.HOME!,
    stateRoot: repo.env.HOMELAB_STATE_DIR!,
    cacheRoot: repo.env.HOMELAB_CACHE_DIR!,
  };
  await renderEnvironment(options);
  const layout = stateLayout(join(options.stateRoot, name));
  // What an apply leaves: a state that records resources.
  await mkdir(dirname(layout.tofuState), { recursive: true, mode: 0o700 });
  await writeFile(
    layout.tofuState,
    JSON.stringify({
      version: 4,
      resources: [{ mode: "managed", type: "libvirt_domain", name: "node", instances: [{}] }],
    }),
  );
  return { repo, options, layout, outDir: join(repo.cwd, ".homelab", name) };
}

describe("a secret of an applied environment that is gone", () => {
  for (const secret of ["k3sToken", "sshPrivateKey"] as const) {
    it(`${secret}: render refuses with secret-missing, located, and changes nothing`, async () => {
      const { options, layout, outDir } = await appliedRepo(`gone${secret.length}`);
      const before = await snapshotTree(outDir);
      await rm(layout[secret]);
      const failure = (await renderEnvironment(options).catch((e: unknown) => e)) as Error & {
        code: string;
        where: { file: string };
        fix: string;
      };
      expect(failure.code).toBe("secret-missing");
      expect(failure.where.file).toBe(layout[secret]);
      expect(failure.message).toContain("has been applied");
      expect(failure.fix).toContain("--new-secrets");
      expect(failure.fix).toContain("homelab destroy");
      expect(existsSync(layout[secret])).toBe(false);
      expect(await snapshotTree(outDir)).toEqual(before);
    });
  }

  it("is made anew with --new-secrets (allowNewSecrets), and through the CLI's render --new-secrets", async () => {
    const { repo, options, layout } = await appliedRepo("forced");
    const old = await readFile(layout.k3sToken, "utf8");
    await rm(layout.k3sToken);
    const refused = await runCommand(renderCommand, ["forced"], repo);
    expect(refused.error?.code).toBe("secret-missing");
    const forced = await runCommand(renderCommand, ["forced", "--new-secrets"], repo);
    expect(forced.status).toBe(0);
    expect(await readFile(layout.k3sToken, "utf8")).not.toBe(old);
    await rm(layout.k3sToken);
    await expect(renderEnvironment({ ...options, allowNewSecrets: true })).resolves.toBeDefined();
  });

  it("is created without asking for an environment that was never applied (or was destroyed)", async () => {
    const { options, layout } = await appliedRepo("destroyed");
    await writeFile(layout.tofuState, JSON.stringify({ version: 4, resources: [] }));
    await rm(layout.k3sToken);
    await expect(renderEnvironment(options)).resolves.toBeDefined();
    expect(existsSync(layout.k3sToken)).toBe(true);
  });
});
