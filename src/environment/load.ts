import { readdir, readFile, stat } from "node:fs/promises";
import { basename, dirname, extname, isAbsolute, relative, resolve } from "node:path";
import { HomelabError, type HomelabErrorDetail } from "../errors/index.js";
import type { SiblingEnvironment } from "../plan/plan.js";
import type { PlanWarning } from "../plan/types.js";
import { type EvaluationLimits, evaluateEnvironmentFiles } from "./evaluate/evaluate.js";
import { environmentErrorMap, environmentIssues, formatFieldPath } from "./issues.js";
import { type FieldPath, locateFields } from "./locate.js";
import { valueOrError } from "./outcome.js";
import { type Environment, EnvironmentSchema, type Snippet } from "./schema.js";
import { siblingFiles, siblingsFrom } from "./siblings.js";
import {
  expandPath,
  looksLikeKeyLine,
  publicKeyLineProblem,
  readPublicKeyFile,
  readSmallFile,
} from "./ssh-keys.js";

/** A Butane snippet is a few kilobytes; Ignition configs as a whole should stay small. */
const MAX_SNIPPET_BYTES = 1024 * 1024;

/** Paths and names from the environment, shortened for messages. */
function shorten(text: string): string {
  return text.length > 120 ? `${text.slice(0, 120)}…` : text;
}

export interface LoadEnvironmentOptions {
  /** Directory names and relative paths are resolved from (the repository root, usually). */
  readonly cwd: string;
  /** The user's home directory, for `~` in SSH key and snippet paths (the CLI passes it). */
  readonly home: string;
  /**
   * Also read the other environment files of the file's directory, in the same child process
   * (schema-checked only; for planCluster's network and prefix checks). Default false.
   */
  readonly siblings?: boolean;
  /** Limits of the evaluation (time, memory, sizes); see DEFAULT_EVALUATION_LIMITS. */
  readonly limits?: Partial<EvaluationLimits>;
  /** Where compiled TypeScript is cached between runs (see EvaluateOptions.cacheDir). */
  readonly cacheDir?: string;
}

export interface LoadedEnvironment {
  /**
   * The validated environment, defaults filled in. `ssh.authorizedKeys` holds key lines only
   * (paths were read), and snippet `{ path }`s are absolute (their text is in `snippetSources`).
   */
  readonly environment: Environment;
  /** The file as the user would type it: relative to `cwd` when inside it. */
  readonly file: string;
  readonly absoluteFile: string;
  readonly warnings: readonly PlanWarning[];
  /** Text of every snippet file, by absolute path. */
  readonly snippetSources: ReadonlyMap<string, string>;
  /** The other environments of the directory that validate (only with `siblings: true`). */
  readonly siblings: readonly SiblingEnvironment[];
  /** Set when `name` differs from the file's name (`environments/<file name>.ts`). */
  readonly nameMismatch: NameMismatch | undefined;
}

export interface NameMismatch {
  /** The file's name without extension (what the user typed, for a name). */
  readonly fileName: string;
  /** The environment's `name`, which state, render directory and kubeconfig use. */
  readonly name: string;
}

/** File types an environment may be written in, in lookup order for a bare name. */
const EXTENSIONS = [".ts", ".mts", ".js", ".mjs", ".json"] as const;
const ENVIRONMENTS_DIR = "environments";

/**
 * Loads `environments/<name>.ts` (or a path to a .ts/.mts/.js/.mjs/.json file), validates it
 * against the schema and resolves what it refers to: SSH key files and snippet files, relative
 * to the environment file. Every problem is a located HomelabError; nothing is written.
 */
export async function loadEnvironment(
  nameOrPath: string,
  options: LoadEnvironmentOptions,
): Promise<LoadedEnvironment> {
  const { absoluteFile, byName } = await resolveEnvironmentFile(nameOrPath, options.cwd);
  const file = displayPath(absoluteFile, options.cwd);
  // An environment file is code: it runs in a child process, together with its siblings (one
  // child per command), and comes back as plain data.
  const others = options.siblings ? await siblingFiles(dirname(absoluteFile), absoluteFile) : [];
  const [main, ...rest] = await evaluateEnvironmentFiles([absoluteFile, ...others], {
    cwd: options.cwd,
    ...(options.limits ? { limits: options.limits } : {}),
    ...(options.cacheDir ? { cacheDir: options.cacheDir } : {}),
  });
  if (!main) throw new HomelabError("internal", `no evaluation of ${file}`);
  const value = await valueOrError(main, file, absoluteFile);
  const environment = await validate(value, absoluteFile, file);
  const warnings: PlanWarning[] = [];
  // State, render directory and kubeconfig are keyed by `name`: a copied file that kept its
  // name acts on the original's cluster. The CLI refuses that for commands that change
  // something and warns for the rest (name-mismatch.ts).
  const fileName = byName ? nameOrPath : basename(absoluteFile, extname(absoluteFile));
  const nameMismatch = environment.name === fileName ? undefined : { fileName, name: environment.name };
  const { siblings, warnings: siblingWarnings } = siblingsFrom(rest, options.cwd);
  warnings.push(...siblingWarnings);
  const baseDir = dirname(absoluteFile);
  const authorizedKeys = await resolveSshKeys(environment, {
    absoluteFile,
    file,
    baseDir,
    home: options.home,
  });
  const snippetSources = new Map<string, string>();
  const resolved: Environment = {
    ...environment,
    ssh: { ...environment.ssh, authorizedKeys },
    servers: {
      ...environment.servers,
      snippets: await resolveSnippets(environment.servers.snippets, ["servers", "snippets"], snippetSources, {
        absoluteFile,
        file,
        baseDir,
        home: options.home,
      }),
    },
    agents: {
      ...environment.agents,
      snippets: await resolveSnippets(environment.agents.snippets, ["agents", "snippets"], snippetSources, {
        absoluteFile,
        file,
        baseDir,
        home: options.home,
      }),
    },
    nodes: Object.fromEntries(
      await Promise.all(
        Object.entries(environment.nodes).map(async ([name, override]) => [
          name,
          override.snippets === undefined
            ? override
            : {
                ...override,
                snippets: await resolveSnippets(
                  override.snippets,
                  ["nodes", name, "snippets"],
                  snippetSources,
                  {
                    absoluteFile,
                    file,
                    baseDir,
                    home: options.home,
                  },
                ),
              },
        ]),
      ),
    ),
  };
  return { environment: resolved, file, absoluteFile, warnings, snippetSources, siblings, nameMismatch };
}

function displayPath(absolute: string, cwd: string): string {
  const rel = relative(cwd, absolute);
  return rel !== "" && !rel.startsWith("..") && !isAbsolute(rel) ? rel : absolute;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

async function resolveEnvironmentFile(
  nameOrPath: string,
  cwd: string,
): Promise<{ absoluteFile: string; byName: boolean }> {
  const looksLikePath =
    nameOrPath.includes("/") ||
    nameOrPath.includes("\\") ||
    (EXTENSIONS as readonly string[]).includes(extname(nameOrPath));
  if (looksLikePath) {
    const absoluteFile = resolve(cwd, nameOrPath);
    if (!(EXTENSIONS as readonly string[]).includes(extname(absoluteFile))) {
      throw new HomelabError("env-not-found", `${nameOrPath} is not an environment file`, {
        where: { file: nameOrPath },
        fix: `Environment files end in ${EXTENSIONS.join(", ")}.`,
      });
    }
    if (!(await isFile(absoluteFile))) {
      throw new HomelabError("env-not-found", `no environment file at ${nameOrPath}`, {
        where: { file: nameOrPath },
        fix: "Check the path, or give an environment name such as `development` to use environments/development.ts.",
      });
    }
    return { absoluteFile, byName: false };
  }
  for (const extension of EXTENSIONS) {
    const candidate = resolve(cwd, ENVIRONMENTS_DIR, `${nameOrPath}${extension}`);
    if (await isFile(candidate)) return { absoluteFile: candidate, byName: true };
  }
  const available = await listEnvironmentNames(resolve(cwd, ENVIRONMENTS_DIR));
  throw new HomelabError("env-not-found", `no environment named "${nameOrPath}"`, {
    where: { file: `${ENVIRONMENTS_DIR}/${nameOrPath}.ts` },
    fix:
      available.length > 0
        ? `Use one of: ${available.join(", ")} — or create ${ENVIRONMENTS_DIR}/${nameOrPath}.ts (copy development.ts, then give it its own name, prefix and network).`
        : `There is no ${ENVIRONMENTS_DIR}/ here or in any folder above: run homelab inside its repository (a folder with ${ENVIRONMENTS_DIR}/ or homelab.lock.json, or below one), or pass a path to an environment file.`,
  });
}

/** Environment names in a directory (files with a known extension), sorted. */
export async function listEnvironmentNames(directory: string): Promise<string[]> {
  let entries: string[];
  try {
    entries = await readdir(directory);
  } catch {
    return [];
  }
  const names = new Set<string>();
  for (const entry of entries) {
    const extension = extname(entry);
    if ((EXTENSIONS as readonly string[]).includes(extension) && !entry.endsWith(".d.ts")) {
      names.add(basename(entry, extension));
    }
  }
  return [...names].sort();
}

async function validate(value: unknown, absoluteFile: string, file: string): Promise<Environment> {
  const result = EnvironmentSchema.safeParse(value, { error: environmentErrorMap, reportInput: true });
  if (result.success) return result.data;
  const issues = environmentIssues(EnvironmentSchema, result.error);
  const located = await locateDetails(
    absoluteFile,
    file,
    issues.map((issue) => ({ path: issue.path, message: issue.message })),
  );
  // In the order they appear in the file (zod reports them in schema order).
  const position = (d: HomelabErrorDetail) =>
    (d.where?.line ?? Number.MAX_SAFE_INTEGER) * 10_000 + (d.where?.column ?? 0);
  const details = [...located].sort((a, b) => position(a) - position(b));
  const fix = "schema/environment.schema.json describes every field and its default.";
  const [only] = details;
  if (details.length === 1 && only) {
    throw new HomelabError("env-invalid", only.message, {
      where: only.where ?? { file },
      fix: `Correct the field. ${fix}`,
    });
  }
  throw new HomelabError(
    "env-invalid",
    `does not match the environment schema (${details.length} problems)`,
    {
      where: { file },
      details,
      fix: `Correct the fields listed above. ${fix}`,
    },
  );
}

/** Details with file, line and column for each field path (one parse of the source). */
export async function locateDetails(
  absoluteFile: string,
  file: string,
  problems: readonly { path: FieldPath; message: string }[],
): Promise<HomelabErrorDetail[]> {
  let positions: ({ line: number; column: number } | undefined)[] = [];
  try {
    const text = await readFile(absoluteFile, "utf8");
    positions = await locateFields(
      text,
      absoluteFile,
      problems.map((p) => p.path),
    );
  } catch {
    // Locating is a courtesy: without TypeScript or the source, the field path still says where.
  }
  return problems.map((problem, index) => ({
    message: problem.message,
    where: { file, ...positions[index], path: formatFieldPath(problem.path) },
  }));
}

interface LocatedErrorOptions {
  readonly absoluteFile: string;
  readonly file: string;
  readonly path: FieldPath;
  readonly fix: string;
  readonly cause?: unknown;
}

async function throwLocated(
  code: "env-invalid" | "env-ssh-key-not-found" | "env-snippet-invalid",
  message: string,
  options: LocatedErrorOptions,
): Promise<never> {
  const [detail] = await locateDetails(options.absoluteFile, options.file, [{ path: options.path, message }]);
  throw new HomelabError(code, message, {
    where: detail?.where ?? { file: options.file },
    fix: options.fix,
    cause: options.cause,
  });
}

interface ResolveContext {
  readonly absoluteFile: string;
  readonly file: string;
  readonly baseDir: string;
  readonly home: string;
}

async function resolveSshKeys(environment: Environment, context: ResolveContext): Promise<string[]> {
  const keys: string[] = [];
  for (const [index, entry] of environment.ssh.authorizedKeys.entries()) {
    const path: FieldPath = ["ssh", "authorizedKeys", index];
    const trimmed = entry.trim();
    if (looksLikeKeyLine(trimmed)) {
      const problem = publicKeyLineProblem(trimmed);
      if (problem !== undefined) {
        await throwLocated("env-invalid", problem, {
          ...context,
          path,
          fix: "Paste the single line of your .pub file (e.g. `cat ~/.ssh/id_ed25519.pub`), or give the path to the file.",
        });
      }
      keys.push(trimmed);
      continue;
    }
    const absolute = expandPath(trimmed, context.home, context.baseDir);
    const result = await readPublicKeyFile(absolute);
    if (result.kind === "missing") {
      await throwLocated(
        "env-ssh-key-not-found",
        `SSH public key file ${shorten(trimmed)} cannot be read (${result.reason}; looked at ${shorten(absolute)})`,
        {
          ...context,
          path,
          fix:
            "Create the key (`ssh-keygen -t ed25519`), correct the path, or remove the entry: homelab's own key " +
            "(in its state directory) always gives `homelab ssh` access.",
        },
      );
    } else if (result.kind === "private-key") {
      await throwLocated("env-invalid", `${trimmed} is a private key; list the public key (.pub) instead`, {
        ...context,
        path,
        fix: `Use ${trimmed.endsWith(".pub") ? trimmed : `${trimmed}.pub`}. Never put a private key in an environment.`,
      });
    } else if (result.kind === "not-a-key") {
      await throwLocated(
        "env-invalid",
        `${trimmed} line ${result.line}: ${result.reason ?? "not an SSH public key line"}`,
        {
          ...context,
          path,
          fix: "Point at a .pub file made by ssh-keygen (one `ssh-ed25519 AAAA… comment` line per key).",
        },
      );
    } else {
      keys.push(...result.keys);
    }
  }
  return [...new Set(keys)];
}

async function resolveSnippets(
  snippets: readonly Snippet[],
  path: FieldPath,
  sources: Map<string, string>,
  context: ResolveContext,
): Promise<Snippet[]> {
  const resolved: Snippet[] = [];
  for (const [index, snippet] of snippets.entries()) {
    if (typeof snippet === "string") {
      resolved.push(snippet);
      continue;
    }
    const absolute = expandPath(snippet.path, context.home, context.baseDir);
    const read = await readSmallFile(absolute, MAX_SNIPPET_BYTES);
    if (typeof read === "string") sources.set(absolute, read);
    else {
      await throwLocated(
        "env-snippet-invalid",
        `snippet file ${shorten(snippet.path)} cannot be read (${read.reason}; looked at ${shorten(absolute)})`,
        {
          ...context,
          path: [...path, index, "path"],
          fix: "Snippet paths are relative to the environment file. Correct the path or create the .bu file.",
        },
      );
    }
    resolved.push({ path: absolute });
  }
  return resolved;
}
