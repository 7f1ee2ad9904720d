import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, realpathSync } from "node:fs";
import { mkdir, readFile, stat } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join, relative, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import {
  type DataProblem,
  DEFAULT_PLAIN_DATA_LIMITS,
  type PlainData,
  type PlainDataLimits,
  toPlainData,
} from "./plain-data.js";
import type {
  ChildMessage,
  ChildOutcome,
  EvaluationRequest,
  PrintedOutput,
  SourcePoint,
} from "./protocol.js";

/**
 * Evaluates environment files outside homelab's process. An environment file is code, run with
 * the user's rights: this keeps what it does from reaching homelab itself. One child process
 * per call (the main environment and its siblings together), with:
 *
 * - a time limit (the child is killed; the file gets `env-timeout`),
 * - a V8 heap limit (`--max-old-space-size`; a file that exceeds it gets `env-too-large`),
 * - its stdout and stderr captured per file (reported, never mixed into homelab's output),
 * - an empty environment (no HOMELAB_*, no tokens from the user's shell, no NODE_OPTIONS),
 * - Node's permission model: file reads only inside the repository, homelab's own package and
 *   the files' directories; no file writes, no child processes, no worker threads, no native
 *   addons. Node 20 does not restrict the network. This guards against accidents and
 *   surprises (a sibling reading the state directory), it is not a sandbox against hostile code.
 *
 * JSON files are data: they are parsed here, without a child.
 */

export interface EvaluationLimits extends PlainDataLimits {
  /** Wall time for the whole child (all files), in milliseconds. */
  readonly timeoutMs: number;
  /** V8 old-space limit of the child, in MiB. */
  readonly maxHeapMiB: number;
  /** Printed characters kept per file for the message. */
  readonly maxPrintedCharacters: number;
  /** Size of one environment file on disk. */
  readonly maxFileBytes: number;
}

export const DEFAULT_EVALUATION_LIMITS: EvaluationLimits = {
  ...DEFAULT_PLAIN_DATA_LIMITS,
  timeoutMs: 10_000,
  maxHeapMiB: 256,
  maxPrintedCharacters: 2_000,
  maxFileBytes: 1024 * 1024,
};

/** What evaluating one file gave. */
export type EvaluationOutcome =
  | ChildOutcome
  | { readonly kind: "json-invalid"; readonly message: string; readonly at?: SourcePoint }
  | { readonly kind: "unreadable"; readonly message: string }
  | { readonly kind: "file-too-large"; readonly bytes: number; readonly limit: number }
  | { readonly kind: "timeout"; readonly limitMs: number }
  | { readonly kind: "out-of-memory"; readonly limitMiB: number }
  | { readonly kind: "crashed"; readonly how: string; readonly output: string }
  /** An earlier file ran out of time or crashed the child before this one's turn. */
  | { readonly kind: "not-evaluated"; readonly because: string };

export interface FileEvaluation {
  readonly file: string;
  readonly outcome: EvaluationOutcome;
  readonly printed?: PrintedOutput;
}

export interface EvaluateOptions {
  /** Working directory of the child (the repository root); also readable. */
  readonly cwd: string;
  /** More directories the files may read (e.g. homelab's own sources they import). */
  readonly readableRoots?: readonly string[];
  readonly limits?: Partial<EvaluationLimits>;
  /**
   * Where jiti keeps compiled TypeScript between runs (e.g. `~/.cache/homelab/jiti`). Compiling
   * is most of an evaluation's cost; the child may write here and nowhere else. Without it,
   * nothing is cached.
   */
  readonly cacheDir?: string;
}

/** Evaluates `files` (absolute paths) in order, code files in one child. Never throws for bad files. */
export async function evaluateEnvironmentFiles(
  files: readonly string[],
  options: EvaluateOptions,
): Promise<FileEvaluation[]> {
  const limits: EvaluationLimits = { ...DEFAULT_EVALUATION_LIMITS, ...options.limits };
  const outcomes = new Map<number, FileEvaluation>();
  const code: { index: number; file: string }[] = [];
  for (const [index, file] of files.entries()) {
    const size = await fileSize(file);
    if (typeof size === "string")
      outcomes.set(index, { file, outcome: { kind: "unreadable", message: size } });
    else if (size > limits.maxFileBytes)
      outcomes.set(index, {
        file,
        outcome: { kind: "file-too-large", bytes: size, limit: limits.maxFileBytes },
      });
    else if (file.endsWith(".json")) outcomes.set(index, { file, outcome: await evaluateJson(file, limits) });
    else code.push({ index, file });
  }
  if (code.length > 0) {
    const answers = await runChild(
      code.map((c) => c.file),
      options,
      limits,
    );
    for (const [position, answer] of answers.entries()) {
      const entry = code[position];
      if (entry) outcomes.set(entry.index, answer);
    }
  }
  return files.map(
    (file, index) =>
      outcomes.get(index) ?? { file, outcome: { kind: "not-evaluated", because: "no answer" } },
  );
}

async function fileSize(file: string): Promise<number | string> {
  try {
    return (await stat(file)).size;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? String(error);
  }
}

async function evaluateJson(file: string, limits: EvaluationLimits): Promise<EvaluationOutcome> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    return { kind: "unreadable", message: (error as NodeJS.ErrnoException).code ?? String(error) };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const at = jsonErrorPosition(text, message);
    return at ? { kind: "json-invalid", message, at } : { kind: "json-invalid", message };
  }
  const converted = toPlainData(value, limits);
  return converted.ok
    ? { kind: "data", value: converted.value }
    : { kind: "unsupported", problems: converted.problems };
}

/** V8 says "… at position 17" (Node 20) or "(line 2 column 5)" (later versions). */
function jsonErrorPosition(text: string, message: string): SourcePoint | undefined {
  const lineColumn = /line (\d+) column (\d+)/.exec(message);
  if (lineColumn) return { line: Number(lineColumn[1]), column: Number(lineColumn[2]) };
  const position = /at position (\d+)/.exec(message);
  if (!position) return undefined;
  const before = text.slice(0, Number(position[1]));
  const lines = before.split("\n");
  return { line: lines.length, column: (lines.at(-1)?.length ?? 0) + 1 };
}

interface EvaluatorEntry {
  /** Arguments for node before the request. */
  readonly args: readonly string[];
  /** Directories the child must be able to read to start at all. */
  readonly roots: readonly string[];
  /** file: URL of jiti's ESM entry. */
  readonly jiti: string;
}

let entry: Promise<EvaluatorEntry> | undefined;

/**
 * How to start the child: the bundled `dist/environment-evaluator.mjs` when homelab runs from its
 * build. Running from src/ (the tests), child.ts is bundled the same way in memory with esbuild
 * (a development dependency) and passed to `node --eval`, so the tests run the shipped form.
 */
function evaluatorEntry(): Promise<EvaluatorEntry> {
  entry ??= findEvaluator();
  return entry;
}

async function findEvaluator(): Promise<EvaluatorEntry> {
  const here = fileURLToPath(import.meta.url);
  let root = dirname(here);
  while (!existsSync(join(root, "package.json"))) {
    const parent = dirname(root);
    if (parent === root) throw new Error(`homelab's package.json not found above ${here}`);
    root = parent;
  }
  const jitiPackage = dirname(createRequire(join(root, "package.json")).resolve("jiti/package.json"));
  const jiti = pathToFileURL(join(jitiPackage, "lib", "jiti.mjs")).href;
  const roots = [root, jitiPackage];
  if (relative(root, here).split(sep)[0] === "dist") {
    return { args: [join(root, "dist", "environment-evaluator.mjs")], roots, jiti };
  }
  const { build } = await import("esbuild");
  const bundle = await build({
    entryPoints: [join(root, "src", "environment", "evaluate", "child.ts")],
    bundle: true,
    platform: "node",
    target: "node20",
    format: "esm",
    write: false,
    logLevel: "silent",
  });
  const code = bundle.outputFiles[0]?.text;
  if (code === undefined) throw new Error("esbuild produced no evaluator bundle");
  return { args: ["--input-type=module", "--eval", code, "--"], roots, jiti };
}

/** `--permission` is stable from Node 22.13 (and 23.5); before, it is `--experimental-permission`. */
function permissionFlag(): string {
  const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);
  return major > 22 || (major === 22 && minor >= 13) ? "--permission" : "--experimental-permission";
}

/** The cache directory, created (0700) if need be; undefined when it cannot be: then no cache. */
async function usableCacheDir(path: string): Promise<string | undefined> {
  try {
    await mkdir(path, { recursive: true, mode: 0o700 });
    return path;
  } catch {
    return undefined;
  }
}

function withRealPaths(paths: readonly string[]): string[] {
  const all = new Set<string>();
  for (const path of paths) {
    all.add(path);
    try {
      all.add(realpathSync(path));
    } catch {
      // A path that does not exist needs no permission.
    }
  }
  return [...all];
}

async function runChild(
  files: readonly string[],
  options: EvaluateOptions,
  limits: EvaluationLimits,
): Promise<FileEvaluation[]> {
  const { args, roots, jiti } = await evaluatorEntry();
  const cacheDir = options.cacheDir === undefined ? undefined : await usableCacheDir(options.cacheDir);
  const readable = withRealPaths([
    ...roots,
    options.cwd,
    ...(options.readableRoots ?? []),
    ...files.map((f) => dirname(f)),
    ...(cacheDir ? [cacheDir] : []),
  ]);
  const request: EvaluationRequest = {
    files,
    jiti,
    ...(cacheDir ? { cacheDir } : {}),
    limits: { maxDepth: limits.maxDepth, maxValues: limits.maxValues, maxCharacters: limits.maxCharacters },
    maxPrintedCharacters: limits.maxPrintedCharacters,
  };
  const nodeArgs = [
    permissionFlag(),
    ...readable.map((path) => `--allow-fs-read=${path}`),
    ...(cacheDir ? withRealPaths([cacheDir]).map((path) => `--allow-fs-write=${path}`) : []),
    "--disable-warning=ExperimentalWarning",
    `--max-old-space-size=${limits.maxHeapMiB}`,
    ...args,
    JSON.stringify(request),
  ];
  return new Promise((resolve) => {
    const results: FileEvaluation[] = [];
    let started: number | undefined;
    let finished = false;
    let timedOut = false;
    let output = "";
    const keep = (chunk: Buffer) => {
      if (output.length < 8_192) output += chunk.toString("utf8").slice(0, 8_192 - output.length);
    };
    let child: ChildProcess;
    try {
      child = spawn(process.execPath, nodeArgs, {
        cwd: options.cwd,
        env: {},
        stdio: ["ignore", "pipe", "pipe", "ipc"],
        serialization: "json",
      });
    } catch (error) {
      resolve(
        files.map((file) => ({
          file,
          outcome: { kind: "crashed", how: `the evaluator could not start (${String(error)})`, output: "" },
        })),
      );
      return;
    }
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, limits.timeoutMs);
    child.on("message", (raw: unknown) => {
      const message = raw as ChildMessage;
      if (message.type === "start") started = message.index;
      else if (message.type === "outcome") {
        const file = files[message.index];
        if (file !== undefined)
          results[message.index] = {
            file,
            outcome: message.outcome,
            ...(message.printed ? { printed: message.printed } : {}),
          };
        started = undefined;
      } else if (message.type === "done") finished = true;
    });
    let settled = false;
    const settle = (how: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const stoppedAt = started;
      const outOfMemory = /heap out of memory|Reached heap limit|Allocation failed/i.test(output);
      const answers = files.map((file, index): FileEvaluation => {
        const answer = results[index];
        if (answer) return answer;
        if (finished) return { file, outcome: { kind: "not-evaluated", because: "no answer" } };
        if (index === stoppedAt) {
          if (timedOut) return { file, outcome: { kind: "timeout", limitMs: limits.timeoutMs } };
          if (outOfMemory) return { file, outcome: { kind: "out-of-memory", limitMiB: limits.maxHeapMiB } };
          return { file, outcome: { kind: "crashed", how, output } };
        }
        const culprit = stoppedAt === undefined ? undefined : files[stoppedAt];
        return {
          file,
          outcome: {
            kind: "not-evaluated",
            because: culprit
              ? `${culprit} ${timedOut ? "did not finish in time" : "ended the evaluation"}`
              : `the evaluator ${how}${output ? `: ${output.trim().split("\n").slice(0, 3).join(" / ")}` : ""}`,
          },
        };
      });
      resolve(answers);
    };
    child.on("error", (error) => {
      child.kill("SIGKILL");
      settle(`could not run (${error.message})`);
    });
    child.on("close", (code, signal) => {
      settle(signal ? `was killed by ${signal}` : `exited with status ${code}`);
    });
  });
}

export type { DataProblem, PlainData, PrintedOutput, SourcePoint };
