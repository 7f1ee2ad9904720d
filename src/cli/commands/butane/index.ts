import { readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import * as nodePath from "node:path";
import { parseArgs } from "node:util";
import { compileButane, formatDiagnostic } from "../../../butane/index.js";
import type { RawCommandModule, RawIo } from "../../command.js";

const USAGE = `Usage: homelab butane [options] [input-file]
Options:
  -c, --check              check config without producing output
  -d, --files-dir string   allow embedding local files from this directory
  -h, --help               show usage and exit
  -o, --output string      write to output file instead of stdout
  -p, --pretty             output formatted json
  -s, --strict             fail on any warning
  -V, --version            print the version and exit
`;

const VERSION = "homelab butane (compatible with Butane 0.22.0; flatcar 1.0.0, 1.1.0)";

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream)
    chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString("utf8");
}

/** Writes next to the target and renames, so a reader never sees a half-written file. */
function writeAtomically(path: string, text: string): void {
  const temp = nodePath.join(nodePath.dirname(path), `.${nodePath.basename(path)}.${process.pid}.tmp`);
  try {
    writeFileSync(temp, text, { mode: 0o644 });
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}

function write(stream: NodeJS.WritableStream, text: string): void {
  if (text !== "") stream.write(text);
}

/**
 * `homelab butane`: a drop-in for the `butane` binary on flatcar configs (same flags, same
 * stderr, same exit codes). Parses its own flags; loads nothing but the compiler.
 */
const butane: RawCommandModule = {
  async runRaw(argv: readonly string[], io: RawIo): Promise<number> {
    let parsed: ReturnType<typeof parseFlags>;
    try {
      parsed = parseFlags(argv);
    } catch (error) {
      write(io.stderr, `Error: ${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
      return 2;
    }
    const { values, positionals } = parsed;
    if (values.help) {
      write(io.stdout, USAGE);
      return 0;
    }
    if (values.version) {
      write(io.stdout, `${VERSION}\n`);
      return 0;
    }
    if (positionals.length > 1) {
      write(io.stderr, USAGE);
      return 2;
    }
    const input = positionals[0];
    let source: string;
    try {
      source =
        input === undefined ? await readAll(io.stdin) : readFileSync(nodePath.resolve(io.cwd, input), "utf8");
    } catch (error) {
      const reason =
        (error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file or directory" : String(error);
      write(io.stderr, `failed to read ${input ?? "<stdin>"}: open ${input}: ${reason}\n`);
      return 1;
    }
    const filesDir = values["files-dir"];
    const result = compileButane(source, {
      strict: values.strict === true,
      pretty: values.pretty === true,
      // Kept as given: the reference names local files relative to it in its messages.
      ...(filesDir !== undefined ? { filesDir } : {}),
    });
    write(io.stderr, result.diagnostics.map((d) => `${formatDiagnostic(d)}\n`).join(""));
    if (!result.ok || result.ignition === undefined) {
      write(io.stderr, `${result.summary ?? "Error translating config"}\n`);
      return 1;
    }
    if (values.check) return 0;
    const output = values.output;
    if (output !== undefined && output !== "") {
      try {
        writeAtomically(nodePath.resolve(io.cwd, output), result.ignition);
      } catch (error) {
        write(
          io.stderr,
          `failed to open ${output}: ${error instanceof Error ? error.message : String(error)}\n`,
        );
        return 1;
      }
      return 0;
    }
    write(io.stdout, result.ignition);
    return 0;
  },
};

function parseFlags(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      strict: { type: "boolean", short: "s" },
      pretty: { type: "boolean", short: "p" },
      check: { type: "boolean", short: "c" },
      help: { type: "boolean", short: "h" },
      version: { type: "boolean", short: "V" },
      raw: { type: "boolean", short: "r" },
      "files-dir": { type: "string", short: "d" },
      output: { type: "string", short: "o" },
    },
  });
}

export default butane;
