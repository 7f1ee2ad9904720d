import { readFileSync } from "node:fs";
import * as nodePath from "node:path";
import {
  type ButaneDiagnostic,
  type ButaneResult,
  compileButane,
  formatDiagnostic,
  SUPPORTED_SPEC_VERSIONS,
} from "../../../butane/index.js";
import type { RawCommandModule, RawIo } from "../../command.js";
import { FlagError, type ParsedFlags, parseFlags, usageLines } from "./flags.js";
import { goErrno, OutputError, writeAtomically } from "./write-output.js";

const USAGE = `Usage: homelab butane [options] [input-file]\nOptions:\n${usageLines()}`;

function versionLine(): string {
  const specs = SUPPORTED_SPEC_VERSIONS.map((s) => `${s.variant} ${s.version}`).join(", ");
  return `homelab butane (compatible with Butane 0.22.0; ${specs})`;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream)
    chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks);
}

function write(stream: NodeJS.WritableStream, text: string): void {
  if (text !== "") stream.write(text);
}

/** What `--json` prints: one result object, like other commands' result events. */
interface JsonResult {
  type: "result";
  ok: boolean;
  variant?: string;
  version?: string;
  ignitionVersion?: string;
  diagnostics: ButaneDiagnostic[];
  summary?: string;
  ignition?: unknown;
  output?: string;
}

/** Reads the config as butane does: a file (os.Open, then io.ReadAll) or stdin. */
async function readSource(input: string, io: RawIo): Promise<{ bytes: Buffer } | { error: string }> {
  if (input === "") {
    try {
      return { bytes: await readAll(io.stdin) };
    } catch (error) {
      return { error: `failed to read /dev/stdin: read /dev/stdin: ${goErrno(error)}` };
    }
  }
  try {
    return { bytes: readFileSync(nodePath.resolve(io.cwd, input)) };
  } catch (error) {
    // Go opens a directory fine and fails reading it.
    if ((error as NodeJS.ErrnoException).code === "EISDIR")
      return { error: `failed to read ${input}: read ${input}: is a directory` };
    return { error: `failed to open ${input}: open ${input}: ${goErrno(error)}` };
  }
}

/**
 * `homelab butane`: a drop-in for the `butane` 0.22 binary (its flags, its stderr, its exit
 * codes: 0 compiled, 1 invalid config or unreadable/unwritable file, 2 bad command line) for
 * the flatcar and fcos variants. `--json` is homelab's own: one result object on stdout.
 * Parses its own flags; loads nothing but the compiler.
 */
const butane: RawCommandModule = {
  async runRaw(argv: readonly string[], io: RawIo): Promise<number> {
    let parsed: ParsedFlags;
    try {
      parsed = parseFlags(argv);
    } catch (error) {
      if (!(error instanceof FlagError)) throw error;
      return usageError(io, argv.includes("--json"), error.message);
    }
    const { flags, positionals } = parsed;
    for (const notice of parsed.notices) write(io.stderr, `${notice}\n`);
    let input = flags.input ?? "";
    if (positionals.length === 1 && input === "") input = positionals[0] as string;
    else if (positionals.length > 0)
      return usageError(io, flags.json, "at most one input file may be given", false);
    if (flags.help) {
      write(io.stdout, USAGE);
      return 0;
    }
    if (flags.version) {
      write(io.stdout, `${versionLine()}\n`);
      return 0;
    }

    const report = (json: JsonResult, exit: number, stderr: string): number => {
      if (flags.json) write(io.stdout, `${JSON.stringify(json)}\n`);
      else write(io.stderr, stderr);
      return exit;
    };
    const source = await readSource(input, io);
    if ("error" in source)
      return report(
        { type: "result", ok: false, diagnostics: [], summary: source.error },
        1,
        `${source.error}\n`,
      );

    // Bytes: the compiler decodes them as libyaml does (UTF-16 with its mark, invalid UTF-8 refused).
    const result = compileButane(source.bytes, {
      strict: flags.strict,
      pretty: flags.pretty,
      debug: flags.debug,
      // Kept as given: the reference names local files relative to it in its messages.
      ...(flags.filesDir !== undefined && flags.filesDir !== "" ? { filesDir: flags.filesDir } : {}),
      // homelab's one deviation in strict mode: no local file through a link out of -d.
      rejectSymlinkEscapes: flags.strict,
    });
    const json = jsonResult(result);
    let stderr = flags.debug && result.translations ? result.translations : "";
    stderr += result.diagnostics.map((d) => `${formatDiagnostic(d)}\n`).join("");
    if (!result.ok || result.ignition === undefined)
      return report(json, 1, `${stderr}${result.summary ?? "Error translating config"}\n`);
    if (flags.check) return report(json, 0, stderr);

    const output = flags.output ?? "";
    if (output === "") {
      // Diagnostics first, then the config, as butane writes them.
      const exit = report({ ...json, ignition: JSON.parse(result.ignition) as unknown }, 0, stderr);
      if (!flags.json) write(io.stdout, result.ignition);
      return exit;
    }
    try {
      writeAtomically(nodePath.resolve(io.cwd, output), result.ignition);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      const message =
        error instanceof OutputError && error.stage === "write"
          ? `Failed to write config to ${output}: write ${output}: ${reason}`
          : `failed to open ${output}: open ${output}: ${reason}`;
      return report({ ...json, ok: false, summary: message }, 1, `${stderr}${message}\n`);
    }
    return report({ ...json, output }, 0, stderr);
  },
};

function jsonResult(result: ButaneResult): JsonResult {
  return {
    type: "result",
    ok: result.ok,
    ...(result.variant !== undefined ? { variant: result.variant } : {}),
    ...(result.version !== undefined ? { version: result.version } : {}),
    ...(result.ignitionVersion !== undefined ? { ignitionVersion: result.ignitionVersion } : {}),
    diagnostics: result.diagnostics,
    ...(result.summary !== undefined ? { summary: result.summary } : {}),
  };
}

/**
 * A command line butane refuses: pflag's message and the usage on stderr, the message again
 * on stdout, exit 2 (too many files: the usage only). With `--json`, a `usage` error event on
 * stdout instead.
 */
async function usageError(io: RawIo, json: boolean, message: string, printMessage = true): Promise<number> {
  if (json) {
    const { HomelabError, errorEvent } = await import("../../../errors/index.js");
    const error = new HomelabError("usage", `homelab butane: ${message}`, {
      fix: "Run `homelab butane --help` for the flags; give at most one input file.",
    });
    write(io.stdout, `${JSON.stringify(errorEvent(error))}\n`);
    return 2;
  }
  write(io.stderr, `${printMessage ? `${message}\n` : ""}${USAGE}`);
  // pflag's Parse prints the error a second time, on stdout, before exiting with 2.
  if (printMessage) write(io.stdout, `${message}\n`);
  return 2;
}

export default butane;
