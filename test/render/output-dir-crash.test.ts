import { spawn } from "node:child_process";
import { chmodSync, chownSync } from "node:fs";
import { chmod, lstat, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  inspectOutputDir,
  markerFile,
  type OutputDirHooks,
  type RenderedFile,
  replaceOutputDir,
} from "../../src/render/output-dir.js";

/**
 * The render directory survives a render stopped at any point (issue 14, defect 7): before and
 * after every change render makes (hooks that never return, as a kill would leave it), and
 * real SIGKILLs of a render process at random moments. After each, the directory is a complete
 * previous or new render, and the next render leaves nothing but its own generation.
 */

const repository = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "homelab-outdir-crash-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const TOKEN = "K10-token-that-must-not-linger";

/** A render with `nodes` nodes whose files all carry `label` (and the token, as Ignition does). */
function files(label: string, nodes = 3): RenderedFile[] {
  return [
    { path: "main.tf.json", contents: `{"render":"${label}"}\n`, mode: 0o644 },
    markerFile("lab"),
    ...Array.from({ length: nodes }, (_, i) => [
      { path: `ignition/n${i}.ign`, contents: `{"render":"${label}","token":"${TOKEN}"}\n`, mode: 0o600 },
      { path: `butane/n${i}.bu`, contents: `# ${label}\n`, mode: 0o600 },
    ]).flat(),
  ];
}

/** What a complete render of `label` looks like through the directory. */
async function renderedLabel(dir: string, nodes = 3): Promise<string | undefined> {
  let main: string;
  try {
    main = await readFile(join(dir, "main.tf.json"), "utf8");
  } catch {
    return undefined;
  }
  const label = (JSON.parse(main) as { render: string }).render;
  for (let i = 0; i < nodes; i++) {
    expect(await readFile(join(dir, "ignition", `n${i}.ign`), "utf8")).toContain(`"render":"${label}"`);
    expect(await readFile(join(dir, "butane", `n${i}.bu`), "utf8")).toBe(`# ${label}\n`);
  }
  expect(JSON.parse(await readFile(join(dir, ".homelab-render"), "utf8"))).toMatchObject({
    environment: "lab",
  });
  return label;
}

async function render(
  dir: string,
  label: string,
  hooks?: OutputDirHooks,
  nodes = 3,
): Promise<readonly string[]> {
  const state = await inspectOutputDir(dir, "lab");
  return replaceOutputDir(dir, state, files(label, nodes), hooks);
}

/** After a clean render: the directory and exactly one generation, nothing else. */
async function expectOnlyOneGeneration(parent: string): Promise<void> {
  const entries = (await readdir(parent)).filter((e) => e !== "count").sort();
  expect(entries).toEqual([expect.stringMatching(/^\.out\.gen-\d+-[0-9a-f]+$/), "out"]);
}

/** The labels of every step a render from `state` takes, by running one with a counting hook. */
async function stepsOf(arrange: (dir: string) => Promise<void>): Promise<string[]> {
  const dir = join(await mkdtemp(join(root, "count-")), "out");
  await arrange(dir);
  const labels: string[] = [];
  await render(dir, "new", { step: (label, when) => void (when === "before" && labels.push(label)) });
  return labels;
}

/** How the directory looks before the render, its old label, and whether a stop may find none. */
const ARRANGEMENTS: [string, (dir: string) => Promise<void>, string | undefined, boolean][] = [
  ["no directory yet", async () => undefined, undefined, true],
  ["an empty directory", async (dir) => void (await mkdir(dir, { recursive: true })), undefined, true],
  ["a previous render", async (dir) => void (await render(dir, "old")), "old", false],
  [
    "a render directory of an older homelab (a real directory)",
    async (dir) => {
      await mkdir(join(dir, "ignition"), { recursive: true });
      for (const file of files("old")) {
        await mkdir(dirname(join(dir, file.path)), { recursive: true });
        await writeFile(join(dir, file.path), file.contents, { mode: file.mode });
      }
    },
    "old",
    true,
  ],
];

describe("a render stopped at any point", () => {
  it.each(ARRANGEMENTS)(
    "from %s: every stop leaves the old or the new render, and the next render cleans up",
    async (_name, arrange, old, mayBeAbsent) => {
      const labels = await stepsOf(arrange);
      expect(labels.length).toBeGreaterThan(8);
      let stops = 0;
      for (const [index, label] of labels.entries()) {
        for (const when of ["before", "after"] as const) {
          const parent = await mkdtemp(join(root, "stop-"));
          const dir = join(parent, "out");
          await arrange(dir);
          let seen = -1;
          // A hook that never returns: the render is frozen there, as a kill would leave it.
          const frozen = new Promise<void>(() => undefined);
          let reached: () => void = () => undefined;
          const stopped = new Promise<void>((r) => {
            reached = r;
          });
          void render(dir, "new", {
            step: (current, moment) => {
              if (moment === "before") seen += 1;
              if (seen !== index || moment !== when || current !== label) return undefined;
              reached();
              return frozen;
            },
          });
          await stopped;
          const found = await renderedLabel(dir);
          // Only replacing a real directory (an empty one, or an older homelab's) has a moment
          // without one; its contents are then in a generation the next render takes over.
          if (found === undefined) expect(mayBeAbsent).toBe(true);
          else expect([old, "new"]).toContain(found);
          // The next render (the same process, as a later homelab would be) restores everything.
          await render(dir, "next");
          expect(await renderedLabel(dir)).toBe("next");
          await expectOnlyOneGeneration(parent);
          stops += 1;
        }
      }
      expect(stops).toBe(labels.length * 2);
    },
  );
});

describe("leftovers of earlier renders", () => {
  it("removes an older homelab's .out.render-* and .out.previous-* that hold the token, keeps what is not ours", async () => {
    const parent = await mkdtemp(join(root, "legacy-"));
    const dir = join(parent, "out");
    for (const name of [".out.render-0a1b2c3d4e5f", ".out.previous-0a1b2c3d4e5f"]) {
      await mkdir(join(parent, name, "ignition"), { recursive: true });
      await writeFile(join(parent, name, ".homelab-render"), markerFile("lab").contents);
      await writeFile(join(parent, name, "ignition", "n0.ign"), TOKEN);
    }
    await mkdir(join(parent, ".out.previous-ffffffffffff"));
    await writeFile(join(parent, ".out.previous-ffffffffffff", "notes.txt"), "mine");
    await mkdir(join(parent, ".out.render-eeeeeeeeeeee"));
    await writeFile(
      join(parent, ".out.render-eeeeeeeeeeee", ".homelab-render"),
      markerFile("production").contents,
    );
    await render(dir, "new");
    expect((await readdir(parent)).sort()).toEqual([
      expect.stringMatching(/^\.out\.gen-/),
      ".out.previous-ffffffffffff",
      ".out.render-eeeeeeeeeeee",
      "out",
    ]);
  });

  it("leaves a generation alone while the render that writes it is still running", async () => {
    const parent = await mkdtemp(join(root, "alive-"));
    const dir = join(parent, "out");
    const sleeper = spawn(process.execPath, ["-e", "setTimeout(() => {}, 30000)"], { stdio: "ignore" });
    try {
      const busy = join(parent, `.out.gen-${sleeper.pid}-abcdef`);
      await mkdir(busy);
      await writeFile(join(busy, ".homelab-render"), markerFile("lab").contents);
      await render(dir, "new");
      expect(await readdir(parent)).toContain(`.out.gen-${sleeper.pid}-abcdef`);
    } finally {
      sleeper.kill("SIGKILL");
    }
  });

  it("a leftover that cannot be removed is a warning with a fix, never a failed render", async () => {
    const parent = await mkdtemp(join(root, "stuck-"));
    const dir = join(parent, "out");
    await render(dir, "old");
    const denied = Object.assign(new Error("EACCES: permission denied"), { code: "EACCES" });
    const warnings = await render(dir, "new", {
      step: (label, when) => {
        if (when === "before" && label.startsWith("remove")) throw denied;
      },
    });
    expect(await renderedLabel(dir)).toBe("new");
    expect(warnings).toEqual([
      expect.stringMatching(
        /could not remove .*\.out\.gen-.* \(EACCES\); it may hold the k3s token: make it writable and delete it/,
      ),
    ]);
    // Still recognisable (the marker goes last), so the next render finishes the job.
    expect(await render(dir, "next")).toEqual([]);
    await expectOnlyOneGeneration(parent);
  });

  it("a read-only subdirectory of the previous render, for a user who is not root: the render succeeds with a warning", async () => {
    const parent = await mkdtemp(join(root, "readonly-"));
    chmodSync(root, 0o755);
    chmodSync(parent, 0o777);
    const script = await bundledRender();
    const run = (label: string) =>
      new Promise<{ code: number | null; out: string }>((done) => {
        const child = spawn(process.execPath, [script, join(parent, "out"), label, "3"], {
          uid: 65534,
          gid: 65534,
          stdio: ["ignore", "pipe", "pipe"],
        });
        let out = "";
        child.stdout.on("data", (d: Buffer) => (out += d.toString()));
        child.stderr.on("data", (d: Buffer) => (out += d.toString()));
        child.on("close", (code) => done({ code, out }));
      });
    expect((await run("old")).code).toBe(0);
    const generation = (await readdir(parent)).find((e) => e.startsWith(".out.gen-")) ?? "";
    await chmod(join(parent, generation, "ignition"), 0o500);
    const second = await run("new");
    expect(second.code).toBe(0);
    expect(second.out).toMatch(/WARNING could not remove .* \(EACCES\)/);
    expect(await renderedLabel(join(parent, "out"))).toBe("new");
  });
});

let bundle: Promise<string> | undefined;
/** A tiny render program (output-dir.ts bundled): `node render.mjs DIR LABEL NODES`. */
function bundledRender(): Promise<string> {
  bundle ??= (async () => {
    const entry = join(root, "render-entry.ts");
    await writeFile(
      entry,
      `import { inspectOutputDir, markerFile, replaceOutputDir } from ${JSON.stringify(join(repository, "src/render/output-dir.ts"))};
const [dir, label, nodes] = process.argv.slice(2);
const files = [
  { path: "main.tf.json", contents: JSON.stringify({ render: label }) + "\\n", mode: 0o644 },
  markerFile("lab"),
  ...Array.from({ length: Number(nodes) }, (_, i) => [
    { path: "ignition/n" + i + ".ign", contents: JSON.stringify({ render: label, token: ${JSON.stringify(TOKEN)} }) + "\\n", mode: 0o600 },
    { path: "butane/n" + i + ".bu", contents: "# " + label + "\\n", mode: 0o600 },
  ]).flat(),
];
process.stdout.write("start\\n");
const warnings = await replaceOutputDir(dir, await inspectOutputDir(dir, "lab"), files);
for (const warning of warnings) process.stdout.write("WARNING " + warning + "\\n");
`,
    );
    const outfile = join(root, "render.mjs");
    await build({
      entryPoints: [entry],
      bundle: true,
      platform: "node",
      format: "esm",
      outfile,
      logLevel: "silent",
    });
    chmodSync(outfile, 0o644);
    chownSync(outfile, 0, 0);
    return outfile;
  })();
  return bundle;
}

describe("SIGKILL of a render process", () => {
  it("300 kills at random moments: the directory is always the old or the new render, complete", async () => {
    const script = await bundledRender();
    const parent = await mkdtemp(join(root, "kill-"));
    const dir = join(parent, "out");
    const NODES = 16;
    await render(dir, "r0", undefined, NODES);
    // How long a render takes here, to spread the kills over it.
    const started = Date.now();
    await runRender(script, dir, "calibrate", NODES, undefined);
    const span = Math.max(20, Date.now() - started);
    let survived = 0;
    let killed = 0;
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: span }), async (delay) => {
        const before = await renderedLabel(dir, NODES);
        const label = `r${killed + survived + 1}`;
        const outcome = await runRender(script, dir, label, NODES, delay);
        if (outcome === "killed") killed += 1;
        else survived += 1;
        const after = await renderedLabel(dir, NODES);
        expect([before, label]).toContain(after);
      }),
      { seed: 14_007, numRuns: 300, endOnFailure: true },
    );
    // Both outcomes happened: the kills did land inside renders.
    expect(killed).toBeGreaterThan(50);
    await render(dir, "final", undefined, NODES);
    await expectOnlyOneGeneration(parent);
    expect((await stat(dir)).isDirectory()).toBe(true);
    expect((await lstat(dir)).isSymbolicLink()).toBe(true);
  }, 600_000);
});

/** Runs the render program; kills it `delay` ms after it said "start" (undefined: never). */
function runRender(
  script: string,
  dir: string,
  label: string,
  nodes: number,
  delay: number | undefined,
): Promise<"killed" | "finished"> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [script, dir, label, String(nodes)], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let errors = "";
    child.stderr.on("data", (d: Buffer) => (errors += d.toString()));
    child.stdout.on("data", (d: Buffer) => {
      if (delay !== undefined && d.toString().includes("start"))
        setTimeout(() => child.kill("SIGKILL"), delay);
    });
    child.on("close", (code, signal) => {
      if (signal === "SIGKILL") done("killed");
      else if (code === 0) done("finished");
      else fail(new Error(`render exited ${code}: ${errors}`));
    });
  });
}
