/**
 * Quoting for the remote shell: a real `sh` (dash) and `bash` turn `remoteCommandLine(argv)`
 * back into exactly `argv`, for fixed nasty words and for random ones (fast-check); and a
 * real sshd on 127.0.0.1 delivers them unchanged, in and out as byte streams.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Readable } from "node:stream";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { remoteCommandLine, runSshStream, type SshTarget, shellQuote } from "../../src/ssh/index.js";
import { describeWithTools, SSHD_TOOLS } from "../support/real-tools.js";
import { startSshd, type TestSshd } from "./sshd.js";

/** What a shell makes of a command line: each word NUL-terminated by printf. */
function parsedBy(shell: string, words: readonly string[]): string[] {
  const out = execFileSync(shell, ["-c", `printf '%s\\0' ${remoteCommandLine(words)}`], {
    encoding: "buffer",
  });
  return out.toString("utf8").split("\0").slice(0, -1);
}

const NASTY = [
  "plain",
  "",
  " ",
  "two words",
  "it's",
  "'",
  "''",
  '"double"',
  "$HOME",
  "$(id)",
  "`id`",
  "a;b",
  "a&&b",
  "a|b",
  "*",
  "?",
  "[a]",
  "~",
  "~root",
  "#comment",
  "a=b",
  "--flag=/var/lib/x y",
  "back\\slash",
  "new\nline",
  "tab\there",
  "ünïcödé",
  "!bang",
  "{a,b}",
  "-n",
  'umask 077 && exec cat > "$1"',
];

describe("shellQuote / remoteCommandLine", () => {
  it.each(["sh", "bash"])("%s reads back every nasty word", (shell) => {
    expect(parsedBy(shell, NASTY)).toEqual(NASTY);
  });

  it("leaves plain words unquoted and quotes the rest", () => {
    expect(
      remoteCommandLine(["sudo", "/opt/bin/k3s", "etcd-snapshot", "save", "--name", "homelab-backup"]),
    ).toBe("sudo /opt/bin/k3s etcd-snapshot save --name homelab-backup");
    expect(shellQuote("a=b")).toBe("'a=b'");
    expect(shellQuote("it's")).toBe("'it'\\''s'");
    expect(shellQuote("")).toBe("''");
  });

  it("refuses what no shell word can hold", () => {
    expect(() => shellQuote("a\0b")).toThrow(/NUL/);
    expect(() => remoteCommandLine([])).toThrow(/at least one word/);
  });

  it.each(["sh", "bash"])("%s reads back random words (property)", (shell) => {
    const word = fc.string({ unit: "binary", maxLength: 20 }).filter((w) => !w.includes("\0"));
    fc.assert(
      fc.property(fc.array(word, { minLength: 1, maxLength: 6 }), (words) => {
        expect(parsedBy(shell, words)).toEqual(words);
      }),
      { numRuns: 150 },
    );
  });
});

describeWithTools(SSHD_TOOLS, "runSshStream against a real sshd", () => {
  let sshd: TestSshd;
  let target: SshTarget;
  beforeAll(async () => {
    sshd = await startSshd();
    const dir = mkdtempSync(join(tmpdir(), "homelab-stream-"));
    target = {
      host: "127.0.0.1",
      port: sshd.port,
      user: sshd.user,
      identityFile: sshd.identityFile,
      knownHostsFile: join(dir, "known_hosts"),
    };
  });
  afterAll(async () => {
    await sshd?.stop();
  });

  it("delivers an argument vector unchanged through the remote login shell", async () => {
    const result = await runSshStream(target, ["printf", "%s\\n", ...NASTY.filter((w) => !w.includes("\n"))]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout.split("\n").slice(0, -1)).toEqual(NASTY.filter((w) => !w.includes("\n")));
  });

  it("streams stdin to a file and a file back to stdout, byte for byte", async () => {
    const dir = mkdtempSync(join(tmpdir(), "homelab-stream-file-"));
    const file = join(dir, "with space's.bin");
    const bytes = Buffer.alloc(3 * 1024 * 1024 + 17);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 131 + (i >> 9)) & 0xff;
    const up = await runSshStream(target, ["sh", "-c", 'umask 077 && exec cat > "$1"', "sh", file], {
      input: Readable.from([bytes.subarray(0, 1000), bytes.subarray(1000)]),
    });
    expect(up.exitCode).toBe(0);
    const sink = new PassThrough();
    const chunks: Buffer[] = [];
    sink.on("data", (chunk: Buffer) => chunks.push(chunk));
    const down = await runSshStream(target, ["cat", file], { output: sink });
    expect(down.exitCode).toBe(0);
    expect(Buffer.concat(chunks).equals(bytes)).toBe(true);
    expect((execFileSync("stat", ["-c", "%a", file], { encoding: "utf8" }) as string).trim()).toBe("600");
  });

  it("reports a remote failure as its exit status and a local write failure as the error itself", async () => {
    const failed = await runSshStream(target, ["sh", "-c", "echo oops >&2; exit 3"]);
    expect(failed).toMatchObject({ exitCode: 3, timedOut: false });
    expect(failed.stderr).toContain("oops");
    const file = join(mkdtempSync(join(tmpdir(), "homelab-stream-big-")), "big");
    writeFileSync(file, Buffer.alloc(2 * 1024 * 1024, 1));
    const broken = new PassThrough();
    broken.on("data", () =>
      broken.destroy(Object.assign(new Error("no space left on device"), { code: "ENOSPC" })),
    );
    await expect(runSshStream(target, ["cat", file], { output: broken })).rejects.toThrow(/no space left/);
  });

  it("kills a command that outlives its timeout", async () => {
    const result = await runSshStream(target, ["sleep", "30"], { timeoutMs: 1500 });
    expect(result.timedOut).toBe(true);
    expect(result.exitCode).not.toBe(0);
  });
});
