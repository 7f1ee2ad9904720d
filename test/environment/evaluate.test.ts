import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadEnvironment, loadSiblingEnvironmentsWithWarnings } from "../../src/environment/index.js";
import { HomelabError } from "../../src/errors/index.js";
import { planLoadedEnvironment } from "../../src/plan/index.js";

/**
 * Environment files are code; they are evaluated in a child process (issue 14, defect 5).
 * Each case is something a file did in homelab's own process before: read another
 * environment's secrets, end the command with process.exit, hang it, print into its output.
 */

const NO_HOME = "/nonexistent-home-for-tests";

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "homelab-evaluate-"));
  for (const [path, contents] of Object.entries(files)) {
    mkdirSync(join(dir, path, ".."), { recursive: true });
    writeFileSync(join(dir, path), contents);
  }
  return dir;
}

const BODY = (name: string, cidr: string, extra = "") =>
  `{ name: "${name}", prefix: "${name}", network: { cidr: "${cidr}" }${extra} }`;
const LAB = `export default ${BODY("lab", "10.77.0.0/24")};\n`;

async function failure(work: Promise<unknown>): Promise<HomelabError> {
  try {
    await work;
  } catch (error) {
    if (error instanceof HomelabError) return error;
    throw error;
  }
  throw new Error("expected a HomelabError");
}

describe("an environment file runs in a child process", () => {
  it("cannot read files outside the repository (a sibling once read every k3s token)", async () => {
    const secrets = mkdtempSync(join(tmpdir(), "homelab-state-"));
    writeFileSync(join(secrets, "k3s-token"), "K10secret-token-value");
    const cwd = project({
      "environments/lab.ts": LAB,
      "environments/thief.ts": `import { readFileSync } from "node:fs";\nlet stolen = "nothing";\ntry { stolen = readFileSync(${JSON.stringify(join(secrets, "k3s-token"))}, "utf8"); } catch {}\nexport default ${BODY("thief", "10.78.0.0/24", ", description: stolen")};\n`,
    });
    const loaded = await loadEnvironment("lab", { cwd, home: NO_HOME, siblings: true });
    expect(loaded.siblings.map((s) => s.environment.description)).toEqual(["nothing"]);
    expect(JSON.stringify(loaded)).not.toContain("K10secret");
  });

  it("reads files inside the repository", async () => {
    const cwd = project({
      "environments/lab.ts": `import { readFileSync } from "node:fs";\nexport default ${BODY("lab", "10.77.0.0/24", ', description: readFileSync("notes.txt", "utf8")')};\n`,
      "notes.txt": "from the repository",
    });
    expect((await loadEnvironment("lab", { cwd, home: NO_HOME })).environment.description).toBe(
      "from the repository",
    );
  });

  it("says which read was refused, at the line", async () => {
    const cwd = project({
      "environments/lab.ts": `import { readFileSync } from "node:fs";\nconst host = readFileSync("/etc/hostname", "utf8");\nexport default ${BODY("lab", "10.77.0.0/24", ", description: host")};\n`,
    });
    const error = await failure(loadEnvironment("lab", { cwd, home: NO_HOME }));
    expect(error.code).toBe("env-load-failed");
    expect(error.message).toContain("/etc/hostname was refused");
    expect(error.where).toMatchObject({ file: "environments/lab.ts", line: 2 });
  });

  it("sees no environment variables (no tokens from the user's shell)", async () => {
    process.env.HOMELAB_TEST_SECRET = "from-the-shell";
    try {
      const cwd = project({
        "environments/lab.ts": `export default ${BODY("lab", "10.77.0.0/24", ", description: JSON.stringify(process.env)")};\n`,
      });
      const loaded = await loadEnvironment("lab", { cwd, home: NO_HOME });
      expect(loaded.environment.description).toBe("{}");
    } finally {
      delete process.env.HOMELAB_TEST_SECRET;
    }
  });

  it("cannot write files or start processes", async () => {
    const cwd = project({
      "environments/lab.ts": `import { writeFileSync } from "node:fs";\nwriteFileSync("planted.txt", "x");\nexport default ${BODY("lab", "10.77.0.0/24")};\n`,
      "environments/spawner.mjs": `import { execSync } from "node:child_process";\nexport default { name: String(execSync("id")) };\n`,
    });
    const error = await failure(loadEnvironment("lab", { cwd, home: NO_HOME }));
    expect(error.code).toBe("env-load-failed");
    expect(error.message).toMatch(/FileSystemWrite of .*planted\.txt was refused/);
    const spawned = await failure(loadEnvironment("spawner", { cwd, home: NO_HOME }));
    expect(spawned.message).toMatch(/ChildProcess .*was refused/);
  });

  it.each([
    ["process.exit(0)", "process.exit(0);", "env-exit", /calls process\.exit\(0\)/, 2],
    ["process.exit(3) in a getter", "", "env-exit", /calls process\.exit\(3\)/, undefined],
    ["a throw", 'throw new Error("no lab today");', "env-load-failed", /no lab today/, 2],
    ["console.log", 'console.log("debugging");', "env-printed", /printed 10 characters.*debugging/, 2],
    [
      "process.stderr.write",
      'process.stderr.write("x".repeat(100000));',
      "env-printed",
      /printed 100000 characters/,
      2,
    ],
  ])("a file that calls %s gets a located %s error", async (_name, statement, code, message, line) => {
    const text =
      statement === ""
        ? `export default { name: "lab", prefix: "lab", network: { cidr: "10.77.0.0/24" }, get description() { process.exit(3); return "x"; } };\n`
        : `const before = 1;\n${statement}\nexport default ${BODY("lab", "10.77.0.0/24")};\n`;
    const cwd = project({ "environments/lab.ts": text });
    const error = await failure(loadEnvironment("lab", { cwd, home: NO_HOME }));
    expect(error.code).toBe(code);
    expect(error.message).toMatch(message);
    expect(error.message.length).toBeLessThan(400);
    expect(error.where?.file).toBe("environments/lab.ts");
    if (line !== undefined) expect(error.where?.line).toBe(line);
  });

  it.each([
    ["42", "the number 42"],
    ['"lab"', "a string"],
    ["[1, 2]", "a list"],
    ["null", "null"],
  ])("a default export of %s is a located env-invalid", async (value, what) => {
    const cwd = project({ "environments/lab.ts": `const x = 1;\n\nexport default ${value};\n` });
    const error = await failure(loadEnvironment("lab", { cwd, home: NO_HOME }));
    expect(error.code).toBe("env-invalid");
    expect(error.message).toContain(`it exports ${what}`);
    expect(error.where).toMatchObject({ file: "environments/lab.ts", line: 3, column: 1 });
  });

  it("a file that never finishes is stopped at the time limit (env-timeout)", async () => {
    const cwd = project({ "environments/lab.mjs": "while (true) {}\nexport default {};\n" });
    const error = await failure(loadEnvironment("lab", { cwd, home: NO_HOME, limits: { timeoutMs: 1_000 } }));
    expect(error.code).toBe("env-timeout");
    expect(error.message).toContain("within 1 s");
  });

  it.each(["lab.mjs", "lab.ts"])(
    "a top-level await with nothing left to wait for says so (%s)",
    async (file) => {
      const cwd = project({ [`environments/${file}`]: "await new Promise(() => {});\nexport default {};\n" });
      const error = await failure(loadEnvironment("lab", { cwd, home: NO_HOME }));
      expect(error.code).toBe("env-load-failed");
      expect(error.message).toContain("top-level await never settles");
    },
  );

  it("a top-level await that never settles is stopped too", async () => {
    const cwd = project({
      "environments/lab.mjs": "await new Promise(() => setInterval(() => {}, 1000));\nexport default {};\n",
    });
    const error = await failure(loadEnvironment("lab", { cwd, home: NO_HOME, limits: { timeoutMs: 1_000 } }));
    expect(error.code).toBe("env-timeout");
  });

  it("a file that eats memory is stopped at the heap limit (env-too-large)", async () => {
    const cwd = project({
      "environments/lab.mjs":
        "const hoard = [];\nwhile (true) hoard.push({ a: [1, 2, 3], b: String(hoard.length) });\n",
    });
    const error = await failure(
      loadEnvironment("lab", { cwd, home: NO_HOME, limits: { maxHeapMiB: 48, timeoutMs: 30_000 } }),
    );
    expect(error.code).toBe("env-too-large");
    expect(error.message).toContain("48 MiB");
  });

  it("a file that kills its own process is env-exit", async () => {
    const cwd = project({
      "environments/lab.mjs": 'process.kill(process.pid, "SIGKILL");\nexport default {};\n',
    });
    const error = await failure(loadEnvironment("lab", { cwd, home: NO_HOME }));
    expect(error.code).toBe("env-exit");
    expect(error.message).toContain("SIGKILL");
  });

  it("a file larger than 1 MiB is refused before it runs", async () => {
    const cwd = project({ "environments/lab.ts": `${LAB}// ${"x".repeat(1024 * 1024)}\n` });
    expect((await failure(loadEnvironment("lab", { cwd, home: NO_HOME }))).code).toBe("env-too-large");
  });
});

describe("sibling environments", () => {
  it("are evaluated in the same child and skipped with a warning when they misbehave", async () => {
    const cwd = project({
      "environments/lab.ts": LAB,
      "environments/a-exit.ts": "process.exit(0);\nexport default {};\n",
      "environments/b-chatty.ts": `console.log("hello");\nexport default ${BODY("chatty", "10.79.0.0/24")};\n`,
      "environments/c-fine.ts": `export default ${BODY("fine", "10.80.0.0/24")};\n`,
      "environments/d-broken.ts": "export default {;\n",
    });
    const loaded = await loadEnvironment("lab", { cwd, home: NO_HOME, siblings: true });
    expect(loaded.environment.name).toBe("lab");
    expect(loaded.siblings.map((s) => s.environment.name)).toEqual(["chatty", "fine"]);
    const messages = loaded.warnings.map((w) => `${w.where?.file}: ${w.message}`);
    expect(messages).toEqual([
      expect.stringMatching(/^environments\/a-exit\.ts: calls process\.exit\(0\); it was skipped/),
      expect.stringMatching(/^environments\/b-chatty\.ts: printed 6 characters/),
    ]);
  });

  it("a sibling that hangs costs the time limit once, with a warning, and the rest still load", async () => {
    const cwd = project({
      "environments/lab.ts": LAB,
      "environments/loop.mjs": "for (;;) {}\n",
    });
    const loaded = await loadEnvironment("lab", {
      cwd,
      home: NO_HOME,
      siblings: true,
      limits: { timeoutMs: 1_500 },
    });
    expect(loaded.environment.name).toBe("lab");
    expect(loaded.warnings.map((w) => w.message)).toEqual([
      expect.stringMatching(/did not finish evaluating within 1.5 s; it was skipped/),
    ]);
  });

  it("listing all environments evaluates them in one child", async () => {
    const cwd = project({
      "environments/one.ts": `export default ${BODY("one", "10.81.0.0/24")};\n`,
      "environments/two.json": JSON.stringify({
        name: "two",
        prefix: "two",
        network: { cidr: "10.82.0.0/24" },
      }),
      "environments/three.mjs": `export default ${BODY("three", "10.83.0.0/24")};\n`,
    });
    const { siblings, warnings } = await loadSiblingEnvironmentsWithWarnings(join(cwd, "environments"), {
      exclude: "",
      cwd,
    });
    expect(siblings.map((s) => s.environment.name).sort()).toEqual(["one", "three", "two"]);
    expect(warnings).toEqual([]);
  });
});

describe("__proto__ and other prototype keys", () => {
  const PLACES = [
    ["nodes", (v: string) => `nodes: ${v}`],
    ["k3s.serverConfig", (v: string) => `k3s: { serverConfig: ${v} }`],
    ["k3s.agentConfig", (v: string) => `k3s: { agentConfig: ${v} }`],
  ] as const;
  const VALUE = `{ "lab-server-1": { vcpu: 4 } }`;

  it.each(
    PLACES.flatMap(([place, wrap]) => [
      [
        place,
        "a JSON key",
        "json",
        wrap(`{"__proto__": ${JSON.stringify({ "lab-server-1": { vcpu: 4 } })}}`),
      ],
      [place, "a computed key", "ts", wrap(`{ ["__proto__"]: ${VALUE} }`)],
      [place, "an object-literal key (sets the prototype)", "ts", wrap(`{ __proto__: ${VALUE} }`)],
    ]),
  )("%s with __proto__ as %s is refused with its path, never dropped", async (place, _how, format, body) => {
    const files: Record<string, string> =
      format === "json"
        ? {
            "environments/lab.json": `{"name": "lab", "prefix": "lab", "network": {"cidr": "10.77.0.0/24"}, ${body
              .replace(/^(\w+): /, '"$1": ')
              .replace(/\{ (\w+): /, '{ "$1": ')}}`,
          }
        : {
            "environments/lab.ts": `export default { name: "lab", prefix: "lab", network: { cidr: "10.77.0.0/24" }, ${body} };\n`,
          };
    const error = await failure(loadEnvironment("lab", { cwd: project(files), home: NO_HOME }));
    expect(error.code).toBe("env-invalid");
    expect(error.message).toMatch(/__proto__/);
    expect(error.where?.path?.startsWith(place)).toBe(true);
  });

  it.each(["constructor", "toString", "hasOwnProperty", "valueOf"])(
    "%s as a k3s key or node name is an ordinary unknown name",
    async (key) => {
      for (const body of [
        `k3s: { serverConfig: { ${key}: "x" } }`,
        `k3s: { agentConfig: { ${key}: "x" } }`,
        `nodes: { ${key}: { vcpu: 2 } }`,
      ]) {
        const cwd = project({
          "environments/lab.ts": `export default { name: "lab", prefix: "lab", network: { cidr: "10.77.0.0/24" }, ${body} };\n`,
        });
        const loaded = await loadEnvironment("lab", { cwd, home: NO_HOME });
        const error = await failure(planLoadedEnvironment(loaded));
        expect(error.code).toBe("env-invalid");
        expect(error.message).toContain(key);
      }
    },
  );
});
