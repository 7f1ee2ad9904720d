import { spawnSync } from "node:child_process";
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseFlags } from "../../src/cli/commands/butane/flags.js";
import { writeAtomically } from "../../src/cli/commands/butane/write-output.js";

/**
 * `homelab butane`'s command line, beyond what a recorded case can express (its input always
 * comes last, and it never writes files). Expected texts are butane 0.22.0's, recorded from
 * the reference binary: pflag's messages, `failed to open …`, exit codes 0/1/2.
 */
const BIN = join(import.meta.dirname, "..", "..", "bin", "homelab.js");
const root = mkdtempSync(join(tmpdir(), "homelab-butane-cli-"));
afterAll(() => {
  spawnSync("rm", ["-rf", root]);
});

const OK =
  "variant: flatcar\nversion: 1.0.0\nstorage:\n  files:\n    - path: /etc/motd\n      contents:\n        inline: hi\n";
const OK_IGNITION =
  '{"ignition":{"version":"3.3.0"},"storage":{"files":[{"path":"/etc/motd","contents":{"compression":"","source":"data:,hi"}}]}}\n';
const WARN =
  "variant: flatcar\nversion: 1.0.0\nstorage:\n  files:\n    - path: /etc/x\n      contents:\n      mode: 0644\n";

let counter = 0;
function caseDir(files: Record<string, string> = {}): string {
  const dir = join(root, String(counter++));
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

function run(dir: string, args: readonly string[], stdin = "") {
  const r = spawnSync(process.execPath, [BIN, "butane", ...args], {
    cwd: dir,
    input: stdin,
    encoding: "utf8",
  });
  return { exit: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("flags as pflag parses them", () => {
  const table: [string[], Partial<ReturnType<typeof parseFlags>["flags"]>, string[]][] = [
    [["--strict=true", "a.bu"], { strict: true }, ["a.bu"]],
    [["--pretty=false", "-p=0", "a.bu"], { pretty: false }, ["a.bu"]],
    [["-sp", "a.bu"], { strict: true, pretty: true }, ["a.bu"]],
    [["-spofile.ign", "a.bu"], { strict: true, pretty: true, output: "file.ign" }, ["a.bu"]],
    [["-o", "x.ign", "-d=files", "a.bu"], { output: "x.ign", filesDir: "files" }, ["a.bu"]],
    [["a.bu", "--strict", "-D"], { strict: true, debug: true }, ["a.bu"]],
    [["--input", "a.bu"], { input: "a.bu" }, []],
    [["--", "-s"], { strict: false }, ["-s"]],
    [["-", "--raw=T"], { raw: true }, ["-"]],
  ];
  for (const [argv, flags, positionals] of table) {
    it(argv.join(" "), () => {
      const parsed = parseFlags(argv);
      expect(parsed.flags).toMatchObject(flags);
      expect(parsed.positionals).toEqual(positionals);
    });
  }

  const errors: [string[], string][] = [
    [["--bogus"], "unknown flag: --bogus"],
    [["-x"], "unknown shorthand flag: 'x' in -x"],
    [["-sx"], "unknown shorthand flag: 'x' in -x"],
    [["-o"], "flag needs an argument: 'o' in -o"],
    [["--files-dir"], "flag needs an argument: --files-dir"],
    [["---x"], "bad flag syntax: ---x"],
    [
      ["--strict=maybe"],
      'invalid argument "maybe" for "-s, --strict" flag: strconv.ParseBool: parsing "maybe": invalid syntax',
    ],
  ];
  for (const [argv, message] of errors) {
    it(`refuses ${argv.join(" ")}`, () => {
      expect(() => parseFlags(argv)).toThrow(message);
    });
  }
});

describe("homelab butane as a drop-in", () => {
  it("--input FILE still works, with pflag's deprecation notice", () => {
    const r = run(caseDir({ "in.bu": OK }), ["--input", "in.bu"]);
    expect(r).toEqual({
      exit: 0,
      stdout: OK_IGNITION,
      stderr: "Flag --input has been deprecated, specify filename directly on command line\n",
    });
  });

  it("--input with a file as well is a usage error", () => {
    const r = run(caseDir({ "in.bu": OK }), ["--input", "in.bu", "in.bu"]);
    expect(r.exit).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(
      /^Flag --input has been deprecated.*\nUsage: homelab butane \[options\] \[input-file\]\n/,
    );
  });

  it("reads stdin without a file, takes flags after the file", () => {
    expect(run(caseDir(), [], OK)).toMatchObject({ exit: 0, stdout: OK_IGNITION });
    const dir = caseDir({ "in.bu": WARN });
    const r = run(dir, ["in.bu", "--strict"]);
    expect(r.exit).toBe(1);
    expect(r.stderr).toMatch(/Config produced warnings and --strict was specified\n$/);
  });

  it("a bad flag: message and usage on stderr, the message again on stdout, exit 2", () => {
    const r = run(caseDir(), ["--bogus", "in.bu"]);
    expect(r.exit).toBe(2);
    expect(r.stdout).toBe("unknown flag: --bogus\n");
    expect(r.stderr.split("\n")[0]).toBe("unknown flag: --bogus");
    expect(r.stderr).toContain("Usage: homelab butane [options] [input-file]");
  });

  it("help lists every flag butane shows, -r included, and --json; not the hidden ones", () => {
    const r = run(caseDir(), ["-h"]);
    expect(r.exit).toBe(0);
    for (const flag of ["-c, --check", "-d, --files-dir string", "-h, --help", "-o, --output string"])
      expect(r.stdout).toContain(flag);
    for (const flag of ["-p, --pretty", "-r, --raw", "-s, --strict", "-V, --version", "    --json"])
      expect(r.stdout).toContain(flag);
    expect(r.stdout).not.toContain("--input");
    expect(r.stdout).not.toContain("--debug");
  });

  it("an unreadable input: butane's message, exit 1", () => {
    const dir = caseDir();
    mkdirSync(join(dir, "adir"));
    expect(run(dir, ["missing.bu"])).toEqual({
      exit: 1,
      stdout: "",
      stderr: "failed to open missing.bu: open missing.bu: no such file or directory\n",
    });
    expect(run(dir, ["adir"]).stderr).toBe("failed to read adir: read adir: is a directory\n");
  });

  it("-D prints where the output came from before the diagnostics", () => {
    const r = run(caseDir({ "in.bu": WARN }), ["-D", "in.bu"]);
    expect(r.exit).toBe(0);
    expect(r.stderr).toMatch(/^TranslationSet: yaml → json\n/);
    expect(r.stderr).toMatch(/\nwarning at \$\.storage\.files\.0\.contents, line 6 col 16: context tree/);
  });
});

describe("-o FILE", () => {
  it("into a missing folder: the error names the target, not a temporary file", () => {
    const dir = caseDir({ "in.bu": OK });
    expect(run(dir, ["-o", "missing/out.ign", "in.bu"])).toEqual({
      exit: 1,
      stdout: "",
      stderr: "failed to open missing/out.ign: open missing/out.ign: no such file or directory\n",
    });
  });

  it("writes the file (0644 less the umask), keeps an existing file's mode, leaves no temporary file", () => {
    const dir = caseDir({ "in.bu": OK });
    expect(run(dir, ["-o", "out.ign", "in.bu"])).toEqual({ exit: 0, stdout: "", stderr: "" });
    expect(readFileSync(join(dir, "out.ign"), "utf8")).toBe(OK_IGNITION);
    expect(statSync(join(dir, "out.ign")).mode & 0o777).toBe(0o644 & ~process.umask());
    chmodSync(join(dir, "out.ign"), 0o600);
    expect(run(dir, ["-o", "out.ign", "in.bu"]).exit).toBe(0);
    expect(statSync(join(dir, "out.ign")).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir).sort()).toEqual(["in.bu", "out.ign"]);
  });

  it("an invalid config leaves the previous output untouched", () => {
    const dir = caseDir({ "in.bu": "variant: flatcar\nversion: 9.9.9\n", "out.ign": "previous\n" });
    expect(run(dir, ["-o", "out.ign", "in.bu"]).exit).toBe(1);
    expect(readFileSync(join(dir, "out.ign"), "utf8")).toBe("previous\n");
  });

  it("a target that is a symbolic link: the linked file is replaced, as butane writes through it", () => {
    const dir = caseDir({ "in.bu": OK, "real.ign": "old\n" });
    symlinkSync("real.ign", join(dir, "out.ign"));
    expect(run(dir, ["-o", "out.ign", "in.bu"]).exit).toBe(0);
    expect(lstatSync(join(dir, "out.ign")).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(dir, "real.ign"), "utf8")).toBe(OK_IGNITION);
  });

  it("a directory as target: butane's message", () => {
    const dir = caseDir({ "in.bu": OK });
    mkdirSync(join(dir, "out"));
    expect(run(dir, ["-o", "out", "in.bu"]).stderr).toBe("failed to open out: open out: is a directory\n");
  });

  it("never follows a symbolic link planted at its temporary file name", () => {
    const dir = caseDir({ "victim.txt": "keep me\n" });
    symlinkSync("victim.txt", join(dir, ".out.ign.guessed.tmp"));
    const suffixes = ["guessed", "fresh"];
    writeAtomically(join(dir, "out.ign"), "new\n", () => suffixes.shift() ?? "later");
    expect(readFileSync(join(dir, "victim.txt"), "utf8")).toBe("keep me\n");
    expect(readlinkSync(join(dir, ".out.ign.guessed.tmp"))).toBe("victim.txt");
    expect(readFileSync(join(dir, "out.ign"), "utf8")).toBe("new\n");
  });
});

describe("--json", () => {
  it("success: one result object with the config and diagnostics, nothing on stderr", () => {
    const r = run(caseDir({ "in.bu": WARN }), ["--json", "in.bu"]);
    expect(r.exit).toBe(0);
    expect(r.stderr).toBe("");
    const event = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(event).toMatchObject({
      type: "result",
      ok: true,
      variant: "flatcar",
      version: "1.0.0",
      ignitionVersion: "3.3.0",
      ignition: { ignition: { version: "3.3.0" }, storage: { files: [{ path: "/etc/x", mode: 420 }] } },
    });
    expect(event.diagnostics).toEqual([
      expect.objectContaining({ kind: "warning", path: "$.storage.files.0.contents", line: 6, column: 16 }),
    ]);
  });

  it("failure: ok false with the summary, exit 1", () => {
    const r = run(caseDir({ "in.bu": WARN }), ["--json", "--strict", "in.bu"]);
    expect(r.exit).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({
      ok: false,
      summary: "Config produced warnings and --strict was specified",
    });
  });

  it("with -o the file is written and named; with --check no config", () => {
    const dir = caseDir({ "in.bu": OK });
    const written = JSON.parse(run(dir, ["--json", "-o", "out.ign", "in.bu"]).stdout) as Record<
      string,
      unknown
    >;
    expect(written).toMatchObject({ ok: true, output: "out.ign" });
    expect(written.ignition).toBeUndefined();
    expect(readFileSync(join(dir, "out.ign"), "utf8")).toBe(OK_IGNITION);
    const checked = JSON.parse(run(dir, ["--json", "-c", "in.bu"]).stdout) as Record<string, unknown>;
    expect(checked).toMatchObject({ ok: true });
    expect(checked.ignition).toBeUndefined();
  });

  it("a bad command line: a usage error event, exit 2", () => {
    const r = run(caseDir(), ["--json", "--bogus"]);
    expect(r.exit).toBe(2);
    expect(JSON.parse(r.stdout)).toMatchObject({
      type: "error",
      code: "usage",
      docs: "docs/common-errors/usage.md",
    });
  });
});

describe("local files through symbolic links", () => {
  const config =
    "variant: flatcar\nversion: 1.0.0\nstorage:\n  files:\n    - path: /etc/leak\n      contents:\n        local: link.txt\n";
  function setup(): string {
    const dir = caseDir({ "in.bu": config, "outside.txt": "secret\n" });
    mkdirSync(join(dir, "files"));
    symlinkSync("../outside.txt", join(dir, "files", "link.txt"));
    return dir;
  }

  it("are followed like butane does without --strict", () => {
    const r = run(setup(), ["-d", "files", "in.bu"]);
    expect(r.exit).toBe(0);
    expect(r.stdout).toContain("data:,secret%0A");
  });

  it("are refused with --strict when they leave the files directory", () => {
    const r = run(setup(), ["--strict", "-d", "files", "in.bu"]);
    expect(r.exit).toBe(1);
    expect(r.stderr).toBe(
      "error at $.storage.files.0.contents.local, line 7 col 16: local file path leaves the files directory through a symbolic link\n" +
        "Error translating config: source config is invalid\n",
    );
  });
});
