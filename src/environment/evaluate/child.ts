import { writeSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { toPlainData } from "./plain-data.js";
import type {
  ChildMessage,
  ChildOutcome,
  EvaluationRequest,
  PrintedOutput,
  SourcePoint,
} from "./protocol.js";

/**
 * The evaluator child: runs environment files (TypeScript through jiti) in a process of their
 * own, so that whatever they do — print, call process.exit, loop, throw, eat memory — cannot
 * reach homelab's output or state. It reports each file's default export as plain data over
 * the IPC channel and exits. Started by `evaluate.ts` with a clean environment, Node's
 * permission model (reads limited to the repository, no writes, no child processes) and a heap
 * limit; the parent enforces the time limit.
 *
 * Imports nothing but Node and the pure plain-data conversion, and jiti from the URL the parent
 * passes: it is bundled on its own (dist/environment-evaluator.mjs) and may run from anywhere.
 * `.mjs` files need no compiling and are imported natively (a fresh process has no stale
 * module cache); TypeScript and `.js` files go through jiti (which also reads ESM `.js` in a
 * CommonJS package), as before.
 */

// Taken before any file runs: a file may replace process.send or process.exit.
const processSend = process.send?.bind(process);
const send = (message: ChildMessage): Promise<void> =>
  new Promise((resolve) => {
    if (!processSend) {
      resolve();
      return;
    }
    processSend(message, undefined, {}, () => resolve());
  });

const realExit = process.exit.bind(process);
const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Where in `file` a stack or message points (the first frame inside it, as a path or URL). */
function pointIn(text: string | undefined, file: string): SourcePoint | undefined {
  if (!text) return undefined;
  const names = `(?:${escapeRegExp(file)}|${escapeRegExp(pathToFileURL(file).href)})`;
  const match = new RegExp(`${names}:(\\d+)(?::(\\d+))?`).exec(text);
  if (!match) return undefined;
  return { line: Number(match[1]), column: match[2] === undefined ? 0 : Number(match[2]) };
}

class ExitCalled extends Error {
  constructor(readonly exitCode: string) {
    super(`process.exit(${exitCode}) was called`);
  }
}

interface Current {
  readonly file: string;
  printed: { text: string; characters: number; at?: SourcePoint };
  exit?: { exitCode: string; at?: SourcePoint };
  rejection?: unknown;
}

async function main(): Promise<void> {
  const request = JSON.parse(process.argv.at(-1) ?? "{}") as EvaluationRequest;
  let current: Current | undefined;

  // Output goes to the file being evaluated, never to homelab's stdout or stderr.
  const capture = (chunk: unknown, encoding?: unknown, callback?: unknown): boolean => {
    const text = typeof chunk === "string" ? chunk : Buffer.from(chunk as Uint8Array).toString("utf8");
    if (current) {
      if (current.printed.characters === 0) {
        const at = pointIn(new Error().stack, current.file);
        if (at) current.printed.at = at;
      }
      current.printed.characters += text.length;
      const room = request.maxPrintedCharacters - current.printed.text.length;
      if (room > 0) current.printed.text += text.slice(0, room);
    }
    const done = typeof encoding === "function" ? encoding : callback;
    if (typeof done === "function") queueMicrotask(() => (done as () => void)());
    return true;
  };
  process.stdout.write = capture as typeof process.stdout.write;
  process.stderr.write = capture as typeof process.stderr.write;

  process.exit = ((code?: number | string | null) => {
    const exitCode = String(code ?? process.exitCode ?? 0);
    if (current && !current.exit) {
      const at = pointIn(new Error().stack, current.file);
      current.exit = at ? { exitCode, at } : { exitCode };
    }
    throw new ExitCalled(exitCode);
  }) as typeof process.exit;
  // A timer or promise of a file that fails later is that file's failure, not a crash.
  process.on("uncaughtException", (error) => {
    if (current && !(error instanceof ExitCalled)) current.rejection ??= error;
  });
  process.on("unhandledRejection", (reason) => {
    if (current && !(reason instanceof ExitCalled)) current.rejection ??= reason;
  });
  // Nothing left to run while a file is still being evaluated: its top-level await waits for
  // something that can never happen. Say so, instead of leaving with nothing said.
  process.once("beforeExit", () => {
    const stuck = current;
    if (!stuck) return;
    const index = request.files.indexOf(stuck.file);
    void send({
      type: "outcome",
      index,
      outcome: {
        kind: "threw",
        message: "its top-level await never settles (it waits for a promise nothing will resolve)",
        syntax: false,
      },
    }).then(() => realExit(0));
  });

  let jiti: Promise<CreateJiti> | undefined;
  const loadJiti = () => {
    jiti ??= import(request.jiti).then((module: { createJiti: CreateJiti }) => module.createJiti);
    return jiti;
  };
  for (const [index, file] of request.files.entries()) {
    current = { file, printed: { text: "", characters: 0 } };
    await send({ type: "start", index });
    const outcome = await evaluate(file, current, loadJiti, request);
    const printed: PrintedOutput | undefined =
      current.printed.characters > 0 ? { ...current.printed } : undefined;
    current = undefined;
    await send({ type: "outcome", index, outcome, ...(printed ? { printed } : {}) });
  }
  await send({ type: "done" });
  realExit(0);
}

type CreateJiti = typeof import("jiti").createJiti;

async function evaluate(
  file: string,
  current: Current,
  loadJiti: () => Promise<CreateJiti>,
  request: EvaluationRequest,
): Promise<ChildOutcome> {
  let namespace: unknown;
  let failure: unknown;
  let failed = false;
  try {
    if (file.endsWith(".mjs")) {
      namespace = await import(pathToFileURL(file).href);
    } else {
      const createJiti = await loadJiti();
      // Compiled files go to homelab's cache (keyed by the source's hash), never next to the
      // file; without a cache directory every run compiles again.
      const jiti = createJiti(pathToFileURL(file).href, {
        moduleCache: false,
        fsCache: request.cacheDir ?? false,
        interopDefault: false,
      });
      namespace = await jiti.import(file);
    }
  } catch (error) {
    failed = true;
    failure = error;
  }
  const exited = (): ChildOutcome | undefined =>
    current.exit ? { kind: "exit-called", ...current.exit } : undefined;
  const early = exited();
  if (early) return early;
  if (!failed && current.rejection !== undefined) {
    failed = true;
    failure = current.rejection;
  }
  if (failed) return describeFailure(failure, file);
  try {
    const exports = namespace as Record<string, unknown>;
    if (exports === null || typeof exports !== "object" || !("default" in exports)) {
      const names = exports !== null && typeof exports === "object" ? Object.keys(exports) : [];
      return {
        kind: "no-default-export",
        exports: names.filter((name) => name !== "__esModule").slice(0, 20),
      };
    }
    // Reading the value may run getters, which may call process.exit too.
    const converted = toPlainData(exports.default, request.limits);
    const late = exited();
    if (late) return late;
    return converted.ok
      ? { kind: "data", value: converted.value }
      : { kind: "unsupported", problems: converted.problems };
  } catch (error) {
    return exited() ?? describeFailure(error, file);
  }
}

function describeFailure(error: unknown, file: string): ChildOutcome {
  let message: string;
  let stack: string | undefined;
  let syntax = false;
  try {
    if (error instanceof Error) {
      const denied = error as Error & { code?: unknown; resource?: unknown; permission?: unknown };
      if (denied.code === "ERR_ACCESS_DENIED") {
        message = `${String(denied.permission ?? "access")} of ${String(denied.resource ?? "a resource")} was refused`;
      } else {
        message = error.message;
      }
      stack = error.stack;
      syntax = error.name === "SyntaxError" || /^ParseError:/.test(error.message);
    } else {
      message = `it threw ${typeof error === "string" ? JSON.stringify(error) : String(error)}`;
    }
  } catch {
    message = "it threw a value that cannot be printed";
  }
  const at = pointIn(message, file) ?? pointIn(stack, file);
  // jiti puts the position on a line of its own; the first line is the reason.
  const firstLine = (message.split("\n")[0] ?? "").replace(/^ParseError:\s*/, "").trim();
  const reason = firstLine.length > 300 ? `${firstLine.slice(0, 300)}…` : firstLine;
  return at ? { kind: "threw", message: reason, syntax, at } : { kind: "threw", message: reason, syntax };
}

main().catch((error: unknown) => {
  // Only a bug in the evaluator itself gets here; the parent reports the missing answers and
  // shows this text (fd 2 directly: process.stderr.write is the capture by now).
  const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
  try {
    writeSync(2, `homelab environment evaluator: ${text}\n`);
  } finally {
    realExit(70);
  }
});
