import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EnvironmentInput } from "../../src/environment/schema.js";
import { isHomelabError } from "../../src/errors/index.js";
import { type RenderOptions, renderEnvironment } from "../../src/render/index.js";
import { type ProviderSchema, walkTfJson } from "../../src/tofu/index.js";
import { expr } from "../../src/tofu/tf-json.js";
import { ignitionValidate } from "../support/ignition.js";
import { itWithTools } from "../support/real-tools.js";
import { snapshotTree } from "./tree.js";

const repository = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const schema = JSON.parse(
  await readFile(join(repository, "test", "fixtures", "libvirt-provider-0.9.7", "schema.json"), "utf8"),
) as ProviderSchema;

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "homelab-render-"));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

let counter = 0;
/** A fresh state root, cache root and output directory for one render. */
async function paths(): Promise<{ stateRoot: string; cacheRoot: string; outDir: string }> {
  const base = join(scratch, `case-${++counter}`);
  await mkdir(base);
  return { stateRoot: join(base, "state"), cacheRoot: join(base, "cache"), outDir: join(base, "out") };
}

async function repositoryOptions(environment: string): Promise<RenderOptions> {
  return { environment, cwd: repository, home: scratch, ...(await paths()) };
}

/** A throwaway repository with hand-written environments (as the hidden checks use). */
async function handWritten(environments: Record<string, EnvironmentInput | string>): Promise<string> {
  const dir = join(scratch, `repo-${++counter}`);
  await mkdir(join(dir, "environments"), { recursive: true });
  for (const [name, input] of Object.entries(environments)) {
    const text = typeof input === "string" ? input : `export default ${JSON.stringify(input, null, 2)};\n`;
    await writeFile(join(dir, "environments", name.includes(".") ? name : `${name}.ts`), text);
  }
  return dir;
}

const lab = (overrides: Partial<EnvironmentInput> = {}): EnvironmentInput => ({
  name: "lab",
  prefix: "lab",
  network: { mode: "nat", cidr: "10.77.0.0/24" },
  servers: { count: 1, vcpu: 2, memoryMiB: 2048, diskGiB: 12 },
  agents: { count: 1, vcpu: 1, memoryMiB: 1024, diskGiB: 12 },
  ssh: { authorizedKeys: [] },
  ...overrides,
});

async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  try {
    await promise;
  } catch (error) {
    expect(isHomelabError(error) ? error.code : error).toBe(code);
    return;
  }
  throw new Error(`expected ${code}, but the render succeeded`);
}

const mode = async (path: string) => (await stat(path)).mode & 0o777;

describe.each(["development", "staging", "production"])("rendering the shipped %s environment", (name) => {
  let options: RenderOptions;
  let files: readonly string[];
  let nodes: readonly string[];
  beforeAll(async () => {
    options = await repositoryOptions(name);
    const result = await renderEnvironment(options);
    files = result.files;
    nodes = result.plan.nodes.map((node) => node.name);
  });

  it("writes main.tf.json, ignition/<node>.ign and butane/<node>.bu for every node", () => {
    expect(files).toEqual(
      [
        ".homelab-render",
        "main.tf.json",
        ...nodes.map((node) => `ignition/${node}.ign`),
        ...nodes.map((node) => `butane/${node}.bu`),
      ].sort(),
    );
  });

  it("writes the same bytes on a second run", async () => {
    const outDir = options.outDir ?? "";
    const first = await snapshotTree(outDir);
    await renderEnvironment(options);
    expect(await snapshotTree(outDir)).toEqual(first);
  });

  it("main.tf.json matches the provider schema and holds no secret", async () => {
    const outDir = options.outDir ?? "";
    const text = await readFile(join(outDir, "main.tf.json"), "utf8");
    expect(walkTfJson(JSON.parse(text), schema)).toEqual([]);
    const token = (await readFile(join(options.stateRoot, name, "k3s-token"), "utf8")).trim();
    const privateKey = await readFile(join(options.stateRoot, name, "ssh", "id_ed25519"), "utf8");
    expect(token).toMatch(/^[0-9a-f]{64}$/);
    expect(text).not.toContain(token);
    expect(text).not.toContain(privateKey.split("\n")[1]);
    // The token is where it belongs: in the node configs, which only the owner can read
    // (in the Ignition it is inside an encoded data URL).
    expect(await readFile(join(outDir, "butane", `${nodes[0]}.bu`), "utf8")).toContain(token);
    expect(await mode(join(outDir, "main.tf.json"))).toBe(0o644);
    for (const node of nodes) {
      expect(await mode(join(outDir, "ignition", `${node}.ign`))).toBe(0o600);
      expect(await mode(join(outDir, "butane", `${node}.bu`))).toBe(0o600);
    }
    expect(await mode(outDir)).toBe(0o700);
  });

  it("points the local backend at the environment's state file, outside the render directory", async () => {
    const document = JSON.parse(await readFile(join(options.outDir ?? "", "main.tf.json"), "utf8"));
    expect(document.terraform.backend.local.path).toBe(
      join(options.stateRoot, name, "tofu", "terraform.tfstate"),
    );
    expect(document.terraform.required_providers.libvirt).toEqual({
      source: "dmacvicar/libvirt",
      version: "0.9.7",
    });
    expect(Object.keys(document.locals.nodes)).toEqual(nodes);
  });

  itWithTools(["ignition-validate"], "every node's Ignition passes the real ignition-validate", async () => {
    for (const node of nodes) {
      const outcome = ignitionValidate(
        await readFile(join(options.outDir ?? "", "ignition", `${node}.ign`), "utf8"),
      );
      expect(outcome.output).toBe("");
      expect(outcome.ok).toBe(true);
    }
  });
});

describe("hand-written environments", () => {
  it.each<[string, Record<string, EnvironmentInput | string>, string]>([
    [
      "host bridge, an existing pool, qemu domains, servers only",
      {
        lab: lab({
          network: { mode: "bridge", cidr: "192.168.1.0/24", bridge: "br0", gateway: "192.168.1.254" },
          pool: { name: "default", existing: true },
          machine: { type: "qemu" },
          servers: { count: 3, vcpu: 2, memoryMiB: 2048, diskGiB: 15 },
          agents: { count: 0, vcpu: 1, memoryMiB: 1024, diskGiB: 10 },
        }),
      },
      "lab",
    ],
    [
      "a JSON file passed as a path, with per-node overrides",
      {
        "edge.json": JSON.stringify(
          lab({
            name: "edge",
            prefix: "edge",
            agents: { count: 2, vcpu: 1, memoryMiB: 1024, diskGiB: 12 },
            nodes: { "edge-agent-2": { vcpu: 4, memoryMiB: 4096, diskGiB: 40 } },
          }),
        ),
      },
      "environments/edge.json",
    ],
    [
      "next to a sibling environment on another network",
      {
        lab: lab(),
        other: lab({ name: "other", prefix: "other", network: { mode: "nat", cidr: "10.78.0.0/24" } }),
      },
      "lab",
    ],
  ])("%s: renders, and main.tf.json matches the schema", async (_what, environments, argument) => {
    const cwd = await handWritten(environments);
    const options: RenderOptions = { environment: argument, cwd, home: scratch, ...(await paths()) };
    const result = await renderEnvironment(options);
    const text = await readFile(join(result.outDir, "main.tf.json"), "utf8");
    expect(walkTfJson(JSON.parse(text), schema)).toEqual([]);
    const first = await snapshotTree(result.outDir);
    await renderEnvironment(options);
    expect(await snapshotTree(result.outDir)).toEqual(first);
  });

  it("defaults the output directory to .homelab/<env> under cwd", async () => {
    const cwd = await handWritten({ lab: lab() });
    const { stateRoot, cacheRoot } = await paths();
    const result = await renderEnvironment({ environment: "lab", cwd, home: scratch, stateRoot, cacheRoot });
    expect(result.outDir).toBe(join(cwd, ".homelab", "lab"));
    expect(await mode(join(cwd, ".homelab", "lab"))).toBe(0o700);
  });
});

describe("bad input changes nothing", () => {
  it.each<[string, string, string]>([
    [
      "an environment that does not match the schema",
      "export default { name: 'lab', prefix: 'lab', agents: { count: -1 } };\n",
      "env-invalid",
    ],
    [
      "a snippet that does not compile",
      `export default ${JSON.stringify(
        lab({
          servers: {
            count: 1,
            vcpu: 2,
            memoryMiB: 2048,
            diskGiB: 12,
            snippets: ["variant: flatcar\nversion: 1.0.0\nstorage: { files: [{ path: relative }] }\n"],
          },
        }),
      )};\n`,
      "env-snippet-invalid",
    ],
    [
      "a k3s version homelab has no hash for",
      `export default ${JSON.stringify(lab({ k3s: { version: "v1.20.0+k3s1" } }))};\n`,
      "lock-missing-artifact",
    ],
  ])("%s: the previous render survives byte for byte", async (_what, broken, code) => {
    const cwd = await handWritten({ lab: lab() });
    const options: RenderOptions = { environment: "lab", cwd, home: scratch, ...(await paths()) };
    await renderEnvironment(options);
    // The render and the state; the cache (compiled environment files) may change.
    const snapshot = async () => [
      await snapshotTree(options.outDir ?? ""),
      await snapshotTree(options.stateRoot),
    ];
    const before = await snapshot();
    await writeFile(join(cwd, "environments", "lab.ts"), broken);
    await expectCode(renderEnvironment(options), code);
    expect(await snapshot()).toEqual(before);
  });

  it("an invalid environment creates no state (no token, no keys)", async () => {
    const cwd = await handWritten({ lab: "export default { name: 'lab' };\n" });
    const options: RenderOptions = { environment: "lab", cwd, home: scratch, ...(await paths()) };
    await expectCode(renderEnvironment(options), "env-invalid");
    await expect(stat(options.stateRoot)).rejects.toMatchObject({ code: "ENOENT" });
    await expect(stat(options.outDir ?? "")).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("refuses --out pointing at the repository root, and leaves it as it was", async () => {
    const cwd = await handWritten({ lab: lab() });
    const before = await snapshotTree(cwd);
    const { stateRoot, cacheRoot } = await paths();
    await expectCode(
      renderEnvironment({ environment: "lab", cwd, home: scratch, stateRoot, cacheRoot, outDir: "." }),
      "render-out-refused",
    );
    expect(await snapshotTree(cwd)).toEqual(before);
    await expect(stat(stateRoot)).rejects.toMatchObject({ code: "ENOENT" });
  });
});

describe("versions", () => {
  it("takes the Flatcar release and the k3s binary from the lock file entry", async () => {
    const cwd = await handWritten({ lab: lab() });
    const options: RenderOptions = {
      environment: "lab",
      cwd,
      home: scratch,
      ...(await paths()),
      lock: {
        lockfileVersion: 1,
        environments: {
          lab: {
            flatcar: {
              channel: "stable",
              version: "4459.2.4",
              image: {
                url: "https://stable.release.flatcar-linux.net/amd64-usr/4459.2.4/flatcar_production_qemu_image.img",
                signatureUrl:
                  "https://stable.release.flatcar-linux.net/amd64-usr/4459.2.4/flatcar_production_qemu_image.img.sig",
                signingKeyFingerprint: "F88CFEDEFF29A5B4D9523864E25D9AED0593B34A",
              },
            },
            k3s: {
              version: "v1.33.1+k3s1",
              binary: { url: "https://example.org/k3s", sha256: "a".repeat(64) },
            },
            provider: { source: "dmacvicar/libvirt", version: "0.9.7" },
          },
        },
      },
    };
    const result = await renderEnvironment(options);
    expect(result.versions.flatcar.version).toBe("4459.2.4");
    expect(result.flatcarImage).toBe(
      join(options.cacheRoot, "images", "flatcar", "stable", "4459.2.4", "flatcar_production_qemu_image.img"),
    );
    const document = JSON.parse(await readFile(join(result.outDir, "main.tf.json"), "utf8"));
    expect(document.locals.base_images).toEqual({
      "stable-4459.2.4": { name: "lab-flatcar-stable-4459.2.4.qcow2", source: expr("var.flatcar_image") },
    });
    expect(document.variable.flatcar_image.default).toBe(result.flatcarImage);
    const ignition = await readFile(join(result.outDir, "ignition", "lab-server-1.ign"), "utf8");
    expect(ignition).toContain("https://example.org/k3s");
    expect(ignition).toContain(`sha256-${"a".repeat(64)}`);
  });
});

describe("GitOps", () => {
  it.each([
    ["https", "https://github.com/example/homelab.git"],
    ["ssh (deploy key)", "ssh://git@github.com/example/homelab.git"],
  ])(
    "%s: the Flux bootstrap goes to the first server only, and no key into main.tf.json",
    async (_what, url) => {
      const cwd = await handWritten({ lab: lab({ gitops: { url } }) });
      const options: RenderOptions = { environment: "lab", cwd, home: scratch, ...(await paths()) };
      const result = await renderEnvironment(options);
      const server = await readFile(join(result.outDir, "butane", "lab-server-1.bu"), "utf8");
      const agent = await readFile(join(result.outDir, "butane", "lab-agent-1.bu"), "utf8");
      expect(server).toContain("/var/lib/rancher/k3s/server/manifests/homelab-flux-sync.yaml");
      expect(agent).not.toContain("homelab-flux");
      const text = await readFile(join(result.outDir, "main.tf.json"), "utf8");
      expect(walkTfJson(JSON.parse(text), schema)).toEqual([]);
      if (url.startsWith("ssh://")) {
        const deployKey = await readFile(join(options.stateRoot, "lab", "gitops", "deploy_key"), "utf8");
        expect(text).not.toContain(deployKey.split("\n")[1]);
      }
    },
  );
});
