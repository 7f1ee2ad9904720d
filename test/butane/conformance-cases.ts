import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { parseFlags } from "../../src/cli/commands/butane/flags.js";

/** The recorded reference runs in test/fixtures/butane-conformance (see its README.md). */
export const CASES_DIR = join(import.meta.dirname, "..", "fixtures", "butane-conformance");

export interface ConformanceCase {
  readonly name: string;
  readonly dir: string;
  readonly args: string[];
  /** config.bu read as UTF-8 text (for mutations and text checks). */
  readonly source: string;
  /** config.bu as the file holds it: what compileButane gets, as the CLI gives it. */
  readonly sourceBytes: Buffer;
  readonly expectedOut: string;
  readonly expectedErr: string;
  readonly expectedExit: number;
}

const read = (p: string): string => (existsSync(p) ? readFileSync(p, "utf8") : "");

/** Reference runs whose gzip payloads must match byte for byte too (Go's deflate output). */
export const GZIP_CASES_DIR = join(import.meta.dirname, "..", "fixtures", "butane-gzip-conformance");

export function loadCases(casesDir = CASES_DIR): ConformanceCase[] {
  return readdirSync(casesDir)
    .filter((name) => existsSync(join(casesDir, name, "config.bu")))
    .sort()
    .map((name) => {
      const dir = join(casesDir, name);
      return {
        name,
        dir,
        args: read(join(dir, "args")).trim().split(/\s+/).filter(Boolean),
        source: read(join(dir, "config.bu")),
        sourceBytes: readFileSync(join(dir, "config.bu")),
        expectedOut: read(join(dir, "expected.ign")),
        expectedErr: read(join(dir, "expected.stderr")),
        expectedExit: Number(read(join(dir, "expected.exit")).trim()),
      };
    });
}

/**
 * Replaces gzip data URLs by their decoded content: the README's rule, which lets gzip bytes
 * differ. Ours do not (gzip-conformance.test.ts holds them to the byte).
 */
export function normalizeGzip(text: string): string {
  return text.replace(/"data:;base64,([A-Za-z0-9+/=]+)"/g, (m, b64: string) => {
    try {
      return `"<gzip:${gunzipSync(Buffer.from(b64, "base64")).toString("base64")}>"`;
    } catch {
      return m;
    }
  });
}

const LOCATED = /^(error|warning|info) at (\$[^,]*), line (\d+) col (\d+): (.*)$/i;

/** The located diagnostic lines of a stderr text, as the conformance checker compares them. */
export function locatedLines(stderr: string): string[] {
  return stderr
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => LOCATED.test(l))
    .map((l) => l.toLowerCase());
}

/** The line number a YAML parser error names (`yaml: line 4: ...`). */
export function yamlLine(stderr: string): string | undefined {
  return /line (\d+)/.exec(stderr)?.[1];
}

/**
 * The compile options a case's command line stands for, parsed as the CLI parses it; undefined
 * for cases about the command line itself (usage errors, `-o`, `--check`, `--input`), which
 * only the CLI run checks.
 */
export function compileOptionsOf(args: readonly string[], dir: string) {
  let parsed: ReturnType<typeof parseFlags>;
  try {
    parsed = parseFlags([...args, "config.bu"]);
  } catch {
    return undefined;
  }
  const { flags, positionals } = parsed;
  if (positionals.length !== 1 || flags.output || flags.check || flags.input || flags.help) return undefined;
  return {
    strict: flags.strict,
    pretty: flags.pretty,
    rejectSymlinkEscapes: flags.strict,
    ...(flags.filesDir ? { filesDir: join(dir, flags.filesDir) } : {}),
  };
}
