import {
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  readlink,
  rm,
  stat,
  symlink,
  writeFile,
} from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isHomelabError } from "../../src/errors/index.js";
import { checkNoSecrets } from "../../src/render/checks.js";
import {
  inspectOutputDir,
  markerFile,
  type RenderedFile,
  replaceOutputDir,
} from "../../src/render/output-dir.js";
import { snapshotTree } from "./tree.js";

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "homelab-outdir-"));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const files = (nodes: readonly string[]): RenderedFile[] => [
  { path: "main.tf.json", contents: '{"resource":{}}\n', mode: 0o644 },
  markerFile("lab"),
  ...nodes.flatMap((node) => [
    { path: `ignition/${node}.ign`, contents: `{"node":"${node}"}\n`, mode: 0o600 },
    { path: `butane/${node}.bu`, contents: `variant: flatcar\n# ${node}\n`, mode: 0o600 },
  ]),
];

async function render(dir: string, nodes: readonly string[]): Promise<void> {
  const state = await inspectOutputDir(dir, "lab");
  await replaceOutputDir(dir, state, files(nodes));
}

const mode = async (path: string) => (await stat(path)).mode & 0o777;

async function expectRefused(dir: string, environment = "lab"): Promise<string> {
  try {
    await inspectOutputDir(dir, environment);
  } catch (error) {
    expect(isHomelabError(error) && error.code).toBe("render-out-refused");
    return (error as Error).message;
  }
  throw new Error(`${dir} was accepted`);
}

describe("writing the render directory", () => {
  it("creates it (and its parents) with 0700 directories, 0600 node files and a 0644 main.tf.json", async () => {
    const dir = join(root, ".homelab", "lab");
    await render(dir, ["n1"]);
    expect(await mode(dir)).toBe(0o700);
    expect(await mode(join(dir, "ignition"))).toBe(0o700);
    expect(await mode(join(dir, "butane"))).toBe(0o700);
    expect(await mode(join(dir, "ignition", "n1.ign"))).toBe(0o600);
    expect(await mode(join(dir, "butane", "n1.bu"))).toBe(0o600);
    expect(await mode(join(dir, "main.tf.json"))).toBe(0o644);
    expect(await readFile(join(dir, "ignition", "n1.ign"), "utf8")).toBe('{"node":"n1"}\n');
  });

  it("ignores the umask: modes are exact", async () => {
    const previous = process.umask(0o077);
    try {
      await render(join(root, "out"), ["n1"]);
      expect(await mode(join(root, "out", "main.tf.json"))).toBe(0o644);
    } finally {
      process.umask(previous);
    }
  });

  it("replaces an empty directory", async () => {
    const dir = join(root, "out");
    await mkdir(dir);
    await render(dir, ["n1"]);
    expect((await readdir(dir)).sort()).toEqual([".homelab-render", "butane", "ignition", "main.tf.json"]);
  });

  it("replaces a previous render as a whole: a removed node's files are gone", async () => {
    const dir = join(root, "out");
    await render(dir, ["n1", "n2"]);
    await render(dir, ["n1"]);
    expect(await readdir(join(dir, "ignition"))).toEqual(["n1.ign"]);
    expect(await readdir(join(dir, "butane"))).toEqual(["n1.bu"]);
  });

  it("keeps OpenTofu's dependency lock file and data directory across renders", async () => {
    const dir = join(root, "out");
    await render(dir, ["n1"]);
    await writeFile(join(dir, ".terraform.lock.hcl"), "# lock\n");
    await mkdir(join(dir, ".terraform", "providers"), { recursive: true });
    await writeFile(join(dir, ".terraform", "providers", "p"), "binary");
    await render(dir, ["n1"]);
    expect(await readFile(join(dir, ".terraform.lock.hcl"), "utf8")).toBe("# lock\n");
    expect(await readFile(join(dir, ".terraform", "providers", "p"), "utf8")).toBe("binary");
  });

  it("leaves nothing next to the directory but the generation it links to", async () => {
    const dir = join(root, "out");
    await render(dir, ["n1"]);
    await render(dir, ["n2"]);
    const entries = (await readdir(root)).sort();
    expect(entries).toEqual([expect.stringMatching(/^\.out\.gen-\d+-[0-9a-f]+$/), "out"]);
    expect((await lstat(dir)).isSymbolicLink()).toBe(true);
    expect(await readlink(dir)).toBe(entries[0]);
    expect(await mode(join(root, entries[0] ?? ""))).toBe(0o700);
  });

  it("is byte-identical on a second run", async () => {
    const dir = join(root, "out");
    await render(dir, ["n1", "n2"]);
    const first = await snapshotTree(dir);
    await render(dir, ["n1", "n2"]);
    expect(await snapshotTree(dir)).toEqual(first);
  });

  it("a failure while writing leaves the previous render byte for byte, and no staging directory", async () => {
    const dir = join(root, "out");
    await render(dir, ["n1"]);
    const before = await snapshotTree(dir);
    // "ignition" as a file and as a directory: the second write fails half-way.
    const broken: RenderedFile[] = [
      { path: "ignition", contents: "x", mode: 0o600 },
      { path: "ignition/n1.ign", contents: "{}", mode: 0o600 },
    ];
    const state = await inspectOutputDir(dir, "lab");
    const entries = await readdir(root);
    await expect(replaceOutputDir(dir, state, broken)).rejects.toMatchObject({ code: "render-write-failed" });
    expect(await snapshotTree(dir)).toEqual(before);
    expect(await readdir(root)).toEqual(entries);
  });
});

describe("refusing directories render did not make", () => {
  it.each<[string, (dir: string) => Promise<void>, RegExp]>([
    [
      "a non-empty directory without the render marker (e.g. the repository root)",
      async (dir) => {
        await mkdir(dir);
        await writeFile(join(dir, "package.json"), "{}");
      },
      /not empty and was not written by `homelab render`/,
    ],
    ["a file", async (dir) => writeFile(dir, "x"), /not a directory/],
    [
      "a symbolic link",
      async (dir) => {
        await mkdir(`${dir}-target`);
        await symlink(`${dir}-target`, dir);
      },
      /symbolic link that render did not make/,
    ],
    [
      "a symbolic link named like a generation but pointing elsewhere",
      async (dir) => {
        await mkdir(join(dir, "..", "elsewhere"));
        await symlink("../elsewhere", dir);
      },
      /symbolic link that render did not make/,
    ],
    [
      "a link to a generation of another environment",
      async (dir) => {
        const generation = join(dir, "..", ".out.gen-1-ab");
        await mkdir(generation);
        await writeFile(join(generation, ".homelab-render"), markerFile("production").contents);
        await symlink(".out.gen-1-ab", dir);
      },
      /environment "production"/,
    ],
    [
      "another environment's render",
      async (dir) => {
        await mkdir(dir);
        await writeFile(join(dir, ".homelab-render"), markerFile("production").contents);
      },
      /environment "production"/,
    ],
    [
      "a previous render that holds OpenTofu state",
      async (dir) => {
        await mkdir(dir);
        await writeFile(join(dir, ".homelab-render"), markerFile("lab").contents);
        await writeFile(join(dir, "terraform.tfstate"), "{}");
      },
      /holds OpenTofu state \(terraform\.tfstate\)/,
    ],
  ])("%s", async (_what, arrange, message) => {
    const dir = join(root, "out");
    await arrange(dir);
    const before = await snapshotTree(root);
    expect(await expectRefused(dir)).toMatch(message);
    expect(await snapshotTree(root)).toEqual(before);
  });

  it("accepts a directory that does not exist yet, without creating it", async () => {
    expect(await inspectOutputDir(join(root, "new"), "lab")).toBe("absent");
    await expect(lstat(join(root, "new"))).rejects.toMatchObject({ code: "ENOENT" });
  });
});

describe("checkNoSecrets", () => {
  const key =
    "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\nQyNTUxOQAAACD\n-----END OPENSSH PRIVATE KEY-----\n";
  it.each([
    ["the token", `{"x": "${"ab".repeat(32)}"}`, true],
    [
      "one line of a private key",
      '{"x": "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"}',
      true,
    ],
    ["only the PEM armour", '{"x": "-----BEGIN OPENSSH PRIVATE KEY-----"}', false],
    ["nothing secret", '{"resource": {}}', false],
  ])("%s", (_what, text, leaks) => {
    const check = () => checkNoSecrets("main.tf.json", text, ["ab".repeat(32), key]);
    if (leaks) expect(check).toThrow(/would contain a secret/);
    else expect(check).not.toThrow();
  });
});
