import { readFile } from "node:fs/promises";
import { HomelabError, type HomelabErrorDetail, type SourceLocation } from "../errors/index.js";
import type { FileEvaluation, SourcePoint } from "./evaluate/evaluate.js";
import { DEFAULT_EVALUATION_LIMITS } from "./evaluate/evaluate.js";
import { formatFieldPath } from "./issues.js";
import { codeFrame, findSyntaxErrors, locateExports, locateFields } from "./locate.js";

/**
 * Turns what evaluating the environment file gave into its value, or into the located error
 * that says what the file did: threw, did not parse, called process.exit, looped, ran out of
 * memory, printed, exported no default or something that is not plain data.
 */

const SHOWN_DETAILS = 20;

async function sourceOf(absoluteFile: string): Promise<string | undefined> {
  try {
    return await readFile(absoluteFile, "utf8");
  } catch {
    return undefined;
  }
}

/**
 * jiti compiles the file before running it: lines stay, but the first lines gain the module
 * wrapper and rewritten imports, so a column beyond the end of its source line is dropped.
 */
function sourceLocation(file: string, text: string | undefined, at: SourcePoint | undefined): SourceLocation {
  if (!at) return { file };
  const line = text?.split(/\r?\n/)[at.line - 1];
  if (line === undefined) return { file };
  return at.column >= 1 && at.column <= line.length + 1
    ? { file, line: at.line, column: at.column }
    : { file, line: at.line };
}

function excerptAt(text: string | undefined, where: SourceLocation): { excerpt?: string } {
  if (text === undefined || where.line === undefined) return {};
  return { excerpt: codeFrame(text, { line: where.line, column: where.column ?? 1 }) };
}

function describeExported(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "string") return "a string";
  return `${typeof value === "number" ? "the number" : typeof value} ${JSON.stringify(value)?.slice(0, 40) ?? ""}`.trim();
}

const PURPOSE =
  "An environment file is code that homelab runs in a child process; it must only build and export the environment object.";

/** The main environment file's value (not yet validated), or a located HomelabError. */
export async function valueOrError(
  evaluation: FileEvaluation,
  file: string,
  absoluteFile: string,
): Promise<unknown> {
  const { outcome, printed } = evaluation;
  switch (outcome.kind) {
    case "data": {
      if (printed) {
        const text = await sourceOf(absoluteFile);
        const where = sourceLocation(file, text, printed.at);
        const shown = printed.text.trim().split("\n").slice(0, 3).join(" / ");
        throw new HomelabError(
          "env-printed",
          `printed ${printed.characters} characters while it was evaluated: ${JSON.stringify(shown.length > 200 ? `${shown.slice(0, 200)}…` : shown)}`,
          {
            where,
            ...excerptAt(text, where),
            fix: `Remove the console.log (or other output) from ${file}. ${PURPOSE} Its output is never mixed into homelab's, so that --json stays valid.`,
          },
        );
      }
      const value: unknown = outcome.value;
      if (value === null || typeof value !== "object" || Array.isArray(value)) {
        const text = await sourceOf(absoluteFile);
        const exports = text === undefined ? {} : await locateExports(text, absoluteFile).catch(() => ({}));
        const position = "defaultExport" in exports ? exports.defaultExport : undefined;
        const where: SourceLocation = position ? { file, ...position } : { file };
        throw new HomelabError(
          "env-invalid",
          `must export an environment object as its default export; it exports ${describeExported(value)}`,
          {
            where,
            ...excerptAt(text, where),
            fix: "Write `export default { name: …, prefix: …, network: { cidr: … } }`.",
          },
        );
      }
      return value;
    }
    case "unsupported": {
      const text = await sourceOf(absoluteFile);
      let positions: ({ line: number; column: number } | undefined)[] = [];
      try {
        if (text !== undefined)
          positions = await locateFields(
            text,
            absoluteFile,
            outcome.problems.map((p) => p.path),
          );
      } catch {
        // Locating is a courtesy; the field path still says where.
      }
      const details: HomelabErrorDetail[] = outcome.problems
        .slice(0, SHOWN_DETAILS)
        .map((problem, index) => ({
          message: problem.message,
          where: { file, ...positions[index], path: formatFieldPath(problem.path) },
        }));
      const fix =
        "An environment holds plain data: strings, numbers, true/false, lists and objects. " +
        "Replace the values named above.";
      const [only] = details;
      if (details.length === 1 && only) {
        throw new HomelabError("env-invalid", only.message, { where: only.where ?? { file }, fix });
      }
      throw new HomelabError("env-invalid", `holds ${details.length} values that are not plain data`, {
        where: { file },
        details,
        fix,
      });
    }
    case "no-default-export": {
      const text = await sourceOf(absoluteFile);
      const exports = text === undefined ? {} : await locateExports(text, absoluteFile).catch(() => ({}));
      const position = "position" in exports ? exports.position : undefined;
      const where: SourceLocation = position ? { file, ...position } : { file };
      const names = outcome.exports;
      const [firstName] = names;
      throw new HomelabError(
        "env-invalid",
        names.length > 0
          ? `has no default export (it exports ${names.map((n) => `\`${n}\``).join(", ")}); homelab reads the default export`
          : "has no default export (it exports nothing); homelab reads the default export",
        {
          where,
          ...excerptAt(text, where),
          fix:
            names.length === 1 && firstName
              ? `Add \`export default ${firstName};\` (or write \`export default { … }\` instead of \`export const ${firstName} = { … }\`).`
              : "Write `export default { name: …, prefix: …, … }`.",
        },
      );
    }
    case "threw": {
      const text = await sourceOf(absoluteFile);
      if (outcome.syntax && text !== undefined) {
        const problems = await findSyntaxErrors(text, absoluteFile).catch(() => []);
        const [first] = problems;
        if (first) {
          const where: SourceLocation = { file, line: first.line, column: first.column };
          // Where the parser gave up is often the end of the file; the bracket it could not
          // match (TypeScript's related hint) is where the mistake usually is.
          const details: HomelabErrorDetail[] = [];
          for (const problem of problems.slice(0, 5)) {
            if (problem !== first)
              details.push({
                message: problem.message,
                where: { file, line: problem.line, column: problem.column },
              });
            if (problem.related)
              details.push({
                message: problem.related.message,
                where: { file, line: problem.related.line, column: problem.related.column },
              });
          }
          throw new HomelabError("env-load-failed", `syntax error: ${first.message}`, {
            where,
            ...excerptAt(text, where),
            details,
            fix: "Fix the syntax at that position. `npx tsc --noEmit` shows type errors as well, which homelab does not check.",
          });
        }
      }
      const where = sourceLocation(file, text, outcome.at);
      throw new HomelabError(
        "env-load-failed",
        outcome.syntax
          ? `syntax error: ${outcome.message}`
          : `evaluating the file failed: ${outcome.message}`,
        {
          where,
          ...excerptAt(text, where),
          fix: outcome.message.includes("was refused")
            ? "Environment files may read files only inside the repository and write none. " +
              "Move what the file reads into the repository, or write the value into the environment."
            : "Fix the file so that it evaluates to an environment object (`export default { … }`). " +
              "It runs as TypeScript with no type checking; `npx tsc --noEmit` shows type errors.",
        },
      );
    }
    case "exit-called": {
      const text = await sourceOf(absoluteFile);
      const where = sourceLocation(file, text, outcome.at);
      throw new HomelabError("env-exit", `calls process.exit(${outcome.exitCode}) while it is evaluated`, {
        where,
        ...excerptAt(text, where),
        fix: `Remove the process.exit call. ${PURPOSE} To refuse a configuration, throw an Error with a message instead.`,
      });
    }
    case "json-invalid": {
      const text = await sourceOf(absoluteFile);
      const where = sourceLocation(file, text, outcome.at);
      throw new HomelabError("env-load-failed", `is not valid JSON: ${outcome.message}`, {
        where,
        ...excerptAt(text, where),
        fix: "Fix the JSON syntax (an editor with schema/environment.schema.json points at the problem).",
      });
    }
    case "unreadable":
      throw new HomelabError("env-load-failed", `cannot be read (${outcome.message})`, {
        where: { file },
        fix: "Check that the file exists and that you may read it.",
      });
    case "file-too-large":
      throw new HomelabError(
        "env-too-large",
        `is ${Math.ceil(outcome.bytes / 1024)} KiB; environment files are at most ${outcome.limit / 1024} KiB`,
        {
          where: { file },
          fix: "An environment describes a cluster in a few hundred lines. Move generated or bulky data out of it.",
        },
      );
    case "timeout":
      throw new HomelabError(
        "env-timeout",
        `did not finish evaluating within ${outcome.limitMs / 1000} s; homelab stopped it`,
        {
          where: { file },
          fix: `Look for a loop that never ends, or a top-level await that never settles. ${PURPOSE}`,
        },
      );
    case "out-of-memory":
      throw new HomelabError(
        "env-too-large",
        `used more than ${outcome.limitMiB} MiB of memory while it was evaluated; homelab stopped it`,
        {
          where: { file },
          fix: `Look for a loop that keeps allocating (a growing list or string). ${PURPOSE}`,
        },
      );
    case "crashed":
      throw new HomelabError(
        "env-exit",
        `ended the process that evaluates it (the evaluator ${outcome.how})`,
        {
          where: { file },
          fix: `Remove what stops the process (process.abort, process.kill, a native module). ${PURPOSE}${
            outcome.output
              ? ` Its last output: ${outcome.output.trim().split("\n").slice(-2).join(" / ").slice(0, 300)}`
              : ""
          }`,
        },
      );
    case "not-evaluated":
      throw new HomelabError("env-load-failed", `was not evaluated: ${outcome.because}`, {
        where: { file },
        fix: "Run the command again; if it keeps failing, check the files named in the message.",
      });
  }
}

export { DEFAULT_EVALUATION_LIMITS };
