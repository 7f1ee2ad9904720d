import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { loadEnvironment, loadSiblingEnvironments } from "../../src/environment/index.js";
import { HomelabError } from "../../src/errors/index.js";
import { planLoadedEnvironment } from "../../src/plan/index.js";
import { generateSshKeyPair } from "../../src/secrets/index.js";

const REPO = resolve(import.meta.dirname, "..", "..");
const NO_HOME = "/nonexistent-home-for-tests";

/** A scratch project: environments/<files> plus any other files. */
function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "homelab-project-"));
  for (const [path, contents] of Object.entries(files)) {
    mkdirSync(join(dir, path, ".."), { recursive: true });
    writeFileSync(join(dir, path), contents);
  }
  return dir;
}

const MINIMAL = (name: string, extra = "") =>
  `export default { name: "${name}", prefix: "${name}", servers: { count: 1 }, agents: { count: 0 }, network: { cidr: "10.77.0.0/24" }, ssh: { authorizedKeys: [] }${extra} };\n`;

async function failure(work: Promise<unknown>): Promise<HomelabError> {
  try {
    await work;
  } catch (error) {
    if (error instanceof HomelabError) return error;
    throw error;
  }
  throw new Error("expected a HomelabError");
}

describe("loadEnvironment: the shipped environments", () => {
  it.each(["development", "staging", "production"])("%s loads and plans without any ~/.ssh", async (name) => {
    const loaded = await loadEnvironment(name, { cwd: REPO, home: NO_HOME });
    expect(loaded.environment.name).toBe(name);
    expect(loaded.file).toBe(`environments/${name}.ts`);
    const siblings = await loadSiblingEnvironments(join(REPO, "environments"), {
      exclude: loaded.absoluteFile,
      cwd: REPO,
    });
    expect(siblings.map((s) => s.environment.name).sort()).toEqual(
      ["development", "production", "staging"].filter((n) => n !== name),
    );
    const plan = await planLoadedEnvironment(loaded, { siblings });
    expect(plan.warnings).toEqual([]);
  });

  it("development is the seed cluster: k3s-dev-server-1 (.10, 2 vCPU, 4096 MiB) and two agents", async () => {
    const plan = await planLoadedEnvironment(
      await loadEnvironment("development", { cwd: REPO, home: NO_HOME }),
    );
    expect(plan.nodes.map((n) => n.name)).toEqual(["k3s-dev-server-1", "k3s-dev-agent-1", "k3s-dev-agent-2"]);
    expect(plan.nodes[0]).toMatchObject({ vcpu: 2, memoryMiB: 4096 });
    expect(plan.nodes[0]?.address.endsWith(".10")).toBe(true);
    expect(plan.nodes[1]?.address.endsWith(".20")).toBe(true);
  });

  it("production is highly available: three servers", async () => {
    const plan = await planLoadedEnvironment(
      await loadEnvironment("production", { cwd: REPO, home: NO_HOME }),
    );
    expect(plan.nodes.filter((n) => n.role === "server")).toHaveLength(3);
  });
});

describe("loadEnvironment: file forms", () => {
  it.each([
    ["a plain object, no imports", "environments/lab.ts", MINIMAL("lab")],
    [
      "import type and satisfies",
      "environments/lab.ts",
      `import type { EnvironmentInput } from "${REPO}/src/environment/schema.js";\nconst lab = { name: "lab", prefix: "lab", network: { cidr: "10.77.0.0/24" } } satisfies EnvironmentInput;\nexport default lab;\n`,
    ],
    [
      "the defineEnvironment helper",
      "environments/lab.ts",
      `import { defineEnvironment } from "${REPO}/src/environment/define.js";\nexport default defineEnvironment({ name: "lab", prefix: "lab", network: { cidr: "10.77.0.0/24" } });\n`,
    ],
    ["an .mjs file", "environments/lab.mjs", MINIMAL("lab")],
    ["a .js file", "environments/lab.js", MINIMAL("lab")],
    [
      "a JSON file with $schema",
      "environments/lab.json",
      JSON.stringify({
        $schema: "../schema/environment.schema.json",
        name: "lab",
        prefix: "lab",
        network: { cidr: "10.77.0.0/24" },
      }),
    ],
  ])("loads %s by name", async (_name, path, text) => {
    const cwd = project({ [path]: text });
    const loaded = await loadEnvironment("lab", { cwd, home: NO_HOME });
    expect(loaded.file).toBe(path);
    expect(loaded.environment).toMatchObject({
      name: "lab",
      libvirt: { uri: "qemu:///system" },
      servers: { count: 1, firstHost: 10 },
      k3s: { disable: ["traefik", "servicelb"], flannelBackend: "host-gw" },
    });
  });

  it("loads a path outside environments/, where the name need not match the file", async () => {
    const cwd = project({ "elsewhere/my-cluster.ts": MINIMAL("anything") });
    const loaded = await loadEnvironment("elsewhere/my-cluster.ts", { cwd, home: NO_HOME });
    expect(loaded.environment.name).toBe("anything");
    expect(loaded.file).toBe("elsewhere/my-cluster.ts");
  });

  it("sees edits between two loads (no module cache)", async () => {
    const cwd = project({ "environments/lab.ts": MINIMAL("lab") });
    await loadEnvironment("lab", { cwd, home: NO_HOME });
    writeFileSync(join(cwd, "environments/lab.ts"), MINIMAL("lab", ", description: 'edited'"));
    expect((await loadEnvironment("lab", { cwd, home: NO_HOME })).environment.description).toBe("edited");
  });
});

describe("loadEnvironment: SSH keys and snippets", () => {
  const key = generateSshKeyPair("me@laptop").publicKey;

  it("reads key files relative to the environment, with ~ from the given home", async () => {
    const home = mkdtempSync(join(tmpdir(), "homelab-home-"));
    mkdirSync(join(home, ".ssh"));
    writeFileSync(join(home, ".ssh", "id_ed25519.pub"), key);
    const other = generateSshKeyPair("team@ci").publicKey;
    const cwd = project({
      "environments/lab.ts": MINIMAL("lab").replace(
        "authorizedKeys: []",
        `authorizedKeys: ["~/.ssh/id_ed25519.pub", "keys/team.pub", ${JSON.stringify(key.trim())}]`,
      ),
      "environments/keys/team.pub": `# the team\n${other}\n`,
    });
    const loaded = await loadEnvironment("lab", { cwd, home });
    expect(loaded.environment.ssh.authorizedKeys).toEqual([key.trim(), other.trim()]);
  });

  it("names the entry of a key file that does not exist (env-ssh-key-not-found)", async () => {
    const cwd = project({
      "environments/lab.ts": `export default {\n  name: "lab",\n  prefix: "lab",\n  network: { cidr: "10.77.0.0/24" },\n  ssh: {\n    authorizedKeys: [\n      "~/.ssh/missing.pub",\n    ],\n  },\n};\n`,
    });
    const error = await failure(loadEnvironment("lab", { cwd, home: NO_HOME }));
    expect(error.code).toBe("env-ssh-key-not-found");
    expect(error.where).toEqual({
      file: "environments/lab.ts",
      line: 7,
      column: 7,
      path: "ssh.authorizedKeys.0",
    });
    expect(error.message).toContain(`${NO_HOME}/.ssh/missing.pub`);
  });

  it.each([
    [
      "a private key",
      "-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----\n",
      /private key/,
    ],
    ["something else", "hello world\n", /not an SSH public key line/],
  ])("refuses a key file holding %s", async (_name, contents, message) => {
    const cwd = project({
      "environments/lab.ts": MINIMAL("lab").replace("authorizedKeys: []", 'authorizedKeys: ["id"]'),
      "environments/id": contents,
    });
    const error = await failure(loadEnvironment("lab", { cwd, home: NO_HOME }));
    expect(error.code).toBe("env-invalid");
    expect(error.message).toMatch(message);
    expect(error.where?.path).toBe("ssh.authorizedKeys.0");
  });

  it("refuses a key line that smuggles a second line", async () => {
    const cwd = project({
      "environments/lab.ts": MINIMAL("lab").replace(
        "authorizedKeys: []",
        `authorizedKeys: [${JSON.stringify(`${key.trim()}\nssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGbAYOHjlzmw0sJ evil`)}]`,
      ),
    });
    const error = await failure(loadEnvironment("lab", { cwd, home: NO_HOME }));
    expect(error.code).toBe("env-invalid");
    expect(error.message).toMatch(/one key per entry/);
  });

  it("reads snippet files relative to the environment file", async () => {
    const snippet = "variant: flatcar\nversion: 1.0.0\n";
    const cwd = project({
      "environments/lab.ts": MINIMAL("lab").replace(
        "servers: { count: 1 }",
        'servers: { count: 1, snippets: [{ path: "snippets/a.bu" }, "inline: text"] }',
      ),
      "environments/snippets/a.bu": snippet,
    });
    const loaded = await loadEnvironment("lab", { cwd, home: NO_HOME });
    const absolute = join(cwd, "environments/snippets/a.bu");
    expect(loaded.environment.servers.snippets).toEqual([{ path: absolute }, "inline: text"]);
    expect(loaded.snippetSources.get(absolute)).toBe(snippet);
    const plan = await planLoadedEnvironment(loaded);
    expect(plan.nodes[0]?.snippets).toEqual([
      { source: snippet, origin: absolute },
      { source: "inline: text", origin: "environments/lab.ts: servers.snippets.1" },
    ]);
  });

  it("names a snippet file that cannot be read (env-snippet-invalid)", async () => {
    const cwd = project({
      "environments/lab.ts": MINIMAL("lab").replace(
        "agents: { count: 0 }",
        'agents: { count: 1, snippets: [{ path: "nope.bu" }] }',
      ),
    });
    const error = await failure(loadEnvironment("lab", { cwd, home: NO_HOME }));
    expect(error.code).toBe("env-snippet-invalid");
    expect(error.where).toMatchObject({
      file: "environments/lab.ts",
      line: 1,
      path: "agents.snippets.0.path",
    });
  });
});

describe("loadEnvironment: located errors", () => {
  it("names an environment that does not exist, and lists those that do (env-not-found)", async () => {
    const cwd = project({ "environments/dev.ts": MINIMAL("dev"), "environments/prod.ts": MINIMAL("prod") });
    const error = await failure(loadEnvironment("staging", { cwd, home: NO_HOME }));
    expect(error.code).toBe("env-not-found");
    expect(error.fix).toContain("dev, prod");
    expect((await failure(loadEnvironment("missing/file.ts", { cwd, home: NO_HOME }))).code).toBe(
      "env-not-found",
    );
    expect((await failure(loadEnvironment("notes.txt", { cwd, home: NO_HOME }))).code).toBe("env-not-found");
  });

  it("reports a file that does not evaluate (env-load-failed) with its position", async () => {
    const cwd = project({ "environments/lab.ts": 'export default {\n  name: "lab",\n  prefix: ,\n};\n' });
    const error = await failure(loadEnvironment("lab", { cwd, home: NO_HOME }));
    expect(error.code).toBe("env-load-failed");
    expect(error.where?.file).toBe("environments/lab.ts");
    expect(error.where?.line).toBe(3);
  });

  it("reports a file that throws (env-load-failed)", async () => {
    const cwd = project({ "environments/lab.ts": 'throw new Error("boom");\nexport default {};\n' });
    const error = await failure(loadEnvironment("lab", { cwd, home: NO_HOME }));
    expect(error.code).toBe("env-load-failed");
    expect(error.message).toContain("boom");
  });

  it("reports broken JSON (env-load-failed)", async () => {
    const cwd = project({ "environments/lab.json": '{ "name": "lab", }' });
    expect((await failure(loadEnvironment("lab", { cwd, home: NO_HOME }))).code).toBe("env-load-failed");
  });

  it("refuses a default export that is not an object", async () => {
    const cwd = project({ "environments/lab.ts": "export default 42;\n" });
    expect((await failure(loadEnvironment("lab", { cwd, home: NO_HOME }))).code).toBe("env-invalid");
  });

  it("lists every schema problem with file, line, column and field path (env-invalid)", async () => {
    const text = [
      'import type { EnvironmentInput } from "../whatever.js";',
      "export default {",
      '  name: "staging",',
      '  prefix: "Staging_",',
      '  network: { cidr: "192.168.141.0/33", mode: "natt" },',
      '  servers: { count: 1, memoryMiB: "lots" },',
      "  agents: {",
      "    count: -1,",
      "    vcpus: 2,",
      "  },",
      "  ssh: { authorizedKeys: [42] },",
      "} satisfies Partial<EnvironmentInput>;",
      "",
    ].join("\n");
    const cwd = project({ "environments/staging.ts": text });
    const error = await failure(loadEnvironment("staging", { cwd, home: NO_HOME }));
    expect(error.code).toBe("env-invalid");
    expect(error.where).toEqual({ file: "environments/staging.ts" });
    const details = error.details.map(
      (d) => `${d.where?.line}:${d.where?.column} ${d.where?.path}: ${d.message}`,
    );
    expect(details).toEqual([
      "4:3 prefix: expected a DNS label: lowercase letters, digits and '-', starting with a letter, at most 63 characters, got the string \"Staging_\"",
      '5:14 network.cidr: expected an IPv4 network in CIDR notation such as 192.168.140.0/24, got the string "192.168.141.0/33"',
      '5:40 network.mode: expected "nat" or "bridge", got the string "natt"',
      '6:24 servers.memoryMiB: expected an integer ≥ 1, got the string "lots"',
      "8:5 agents.count: expected an integer ≥ 0, got the number -1",
      '9:5 agents.vcpus: unknown field "vcpus" (did you mean "vcpu"?)',
      "11:27 ssh.authorizedKeys.0: expected a string, got the number 42",
    ]);
    for (const detail of error.details) expect(detail.where?.file).toBe("environments/staging.ts");
  });

  it("puts a single problem in the headline", async () => {
    const cwd = project({
      "environments/lab.ts": MINIMAL("lab").replace("agents: { count: 0 }", "agents: { count: 1.5 }"),
    });
    const error = await failure(loadEnvironment("lab", { cwd, home: NO_HOME }));
    expect(error.message).toBe("expected an integer ≥ 0, got the number 1.5");
    expect(error.where).toMatchObject({ file: "environments/lab.ts", line: 1, path: "agents.count" });
  });

  it("says which required field is missing", async () => {
    const cwd = project({ "environments/lab.ts": 'export default { name: "lab", prefix: "lab" };\n' });
    const error = await failure(loadEnvironment("lab", { cwd, home: NO_HOME }));
    expect(error.where?.path).toBe("network");
    expect(error.message).toBe("required field is missing");
  });

  it("reports an environment whose name does not match its file (the CLI refuses or warns)", async () => {
    const cwd = project({ "environments/staging.ts": MINIMAL("production") });
    const loaded = await loadEnvironment("staging", { cwd, home: NO_HOME });
    expect(loaded.environment.name).toBe("production");
    expect(loaded.nameMismatch).toEqual({ fileName: "staging", name: "production" });
    expect(loaded.warnings).toEqual([]);
    const byPath = await loadEnvironment("environments/staging.ts", { cwd, home: NO_HOME });
    expect(byPath.nameMismatch).toEqual({ fileName: "staging", name: "production" });
  });

  it("adds lines to planning errors too", async () => {
    const cwd = project({
      "environments/lab.ts": [
        "export default {",
        '  name: "lab",',
        '  prefix: "lab",',
        '  network: { cidr: "192.168.122.0/24" },',
        "  servers: { count: 0 },",
        "};",
        "",
      ].join("\n"),
    });
    const error = await failure(planLoadedEnvironment(await loadEnvironment("lab", { cwd, home: NO_HOME })));
    expect(error.code).toBe("env-no-server");
    expect(error.where).toEqual({ file: "environments/lab.ts", line: 5, column: 14, path: "servers.count" });
    expect(error.details.map((d) => `${d.where?.line} ${d.where?.path}`)).toEqual([
      "4 network.cidr",
      "5 servers.count",
    ]);
  });

  it("leaves the environment file untouched and writes nothing next to it", async () => {
    const cwd = project({ "environments/lab.ts": MINIMAL("lab") });
    const before = readFileSync(join(cwd, "environments/lab.ts"), "utf8");
    await loadEnvironment("lab", { cwd, home: NO_HOME });
    expect(readFileSync(join(cwd, "environments/lab.ts"), "utf8")).toBe(before);
    const { readdirSync } = await import("node:fs");
    expect(readdirSync(cwd).sort()).toEqual(["environments"]);
    expect(readdirSync(join(cwd, "environments"))).toEqual(["lab.ts"]);
  });
});
