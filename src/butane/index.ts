import { formatPath, locate } from "./diagnostics.js";
import { marshalIgnition } from "./emit/json.js";
import { makeDataUrl } from "./encode/data-url.js";
import type { IgnObject } from "./ignition/schema.js";
import { type CompileOutcome, compileStages } from "./pipeline.js";
import { SPEC_VERSIONS } from "./variants/index.js";
import { decodeYamlInput } from "./yaml/input-encoding.js";

/**
 * Butane to Ignition, in process: a faithful port of coreos/butane 0.22 for the flatcar
 * (1.0.0, 1.1.0, 1.2.0-experimental) and fcos (1.3.0 to 1.6.0-experimental) variants.
 */

export interface ButaneOptions {
  /** Fail when the config produces any warning (`--strict`). */
  readonly strict?: boolean;
  /** Indent the output by two spaces (`--pretty`). */
  readonly pretty?: boolean;
  /** Directory that `local` paths, trees and `*_local` fields are relative to (`--files-dir`). */
  readonly filesDir?: string;
  /**
   * Refuse local files and trees reached through a symbolic link that leaves `filesDir`
   * (the reference follows such links). Default: on in strict mode.
   */
  readonly rejectSymlinkEscapes?: boolean;
  /** Also return where each part of the output came from (`--debug`). */
  readonly debug?: boolean;
}

export interface ButaneDiagnostic {
  readonly kind: "error" | "warning" | "info";
  /** Path in the Butane source, e.g. `$.storage.files.0.path`. */
  readonly path: string;
  readonly line?: number;
  readonly column?: number;
  readonly message: string;
}

export interface ButaneResult {
  /** The Ignition config exactly as `butane` prints it (with trailing newline); absent on failure. */
  readonly ignition?: string;
  /** The Ignition config as an object (JSON field names). */
  readonly config?: unknown;
  readonly diagnostics: ButaneDiagnostic[];
  readonly ok: boolean;
  /**
   * The reference's closing line on failure: `Error translating config: ...` or
   * `Config produced warnings and --strict was specified`.
   */
  readonly summary?: string;
  /** The Ignition spec version of the output (e.g. "3.3.0"), when the spec version was known. */
  readonly ignitionVersion?: string;
  /** The Butane variant and version that compiled it, when a translator exists for them. */
  readonly variant?: string;
  readonly version?: string;
  /** With `debug`, once translation succeeded: the translations, as `butane --debug` lists them. */
  readonly translations?: string;
}

/** Supported Butane spec versions and the Ignition version each produces. */
export const SUPPORTED_SPEC_VERSIONS: readonly {
  variant: string;
  version: string;
  ignitionVersion: string;
}[] = SPEC_VERSIONS.map((s) => ({
  variant: s.variant,
  version: s.version,
  ignitionVersion: s.ignition.version,
}));

export const STRICT_SUMMARY = "Config produced warnings and --strict was specified";

/** `error at $.storage.files.0.path, line 5 col 13: path not absolute`, as the reference prints it. */
export function formatDiagnostic(d: ButaneDiagnostic): string {
  const hasPath = d.path !== "$";
  const where = d.line !== undefined ? `line ${d.line} col ${d.column ?? 0}` : undefined;
  let at = "";
  if (where && hasPath) at = ` at ${d.path}, ${where}`;
  else if (where) at = ` at ${where}`;
  else if (hasPath) at = ` at ${d.path}`;
  return `${d.kind}${at}: ${d.message}`;
}

function diagnosticsOf(outcome: CompileOutcome): ButaneDiagnostic[] {
  return outcome.entries.map((e) => {
    const pos = locate(outcome.root, e.path);
    return {
      kind: e.kind,
      path: formatPath(e.path),
      message: e.message,
      ...(pos ? { line: pos.line, column: pos.column } : {}),
    };
  });
}

interface Compiled {
  readonly outcome: CompileOutcome;
  readonly diagnostics: ButaneDiagnostic[];
}

function compileInternal(source: string, options: ButaneOptions): Compiled {
  try {
    const outcome = compileStages(source, {
      ...(options.filesDir !== undefined ? { filesDir: options.filesDir } : {}),
      ...((options.rejectSymlinkEscapes ?? options.strict === true) ? { rejectSymlinkEscapes: true } : {}),
    });
    return { outcome, diagnostics: diagnosticsOf(outcome) };
  } catch (error) {
    // A bug must not escape as an exception: report it as a diagnostic at the root.
    const message = `internal error: ${error instanceof Error ? error.message : String(error)}`;
    return { outcome: { entries: [], error: message }, diagnostics: [{ kind: "error", path: "$", message }] };
  }
}

function finish(
  compiled: Compiled,
  options: ButaneOptions,
  extraDiagnostics: ButaneDiagnostic[] = [],
): ButaneResult {
  const { outcome } = compiled;
  const diagnostics = [...compiled.diagnostics, ...extraDiagnostics];
  const spec = outcome.spec;
  const base = {
    diagnostics,
    ...(spec ? { ignitionVersion: spec.ignition.version, variant: spec.variant, version: spec.version } : {}),
    ...(options.debug && outcome.translations ? { translations: outcome.translations.describe() } : {}),
  };
  if (outcome.error !== undefined || !outcome.config || !outcome.spec) {
    return { ...base, ok: false, summary: `Error translating config: ${outcome.error ?? "unknown error"}` };
  }
  if (extraDiagnostics.some((d) => d.kind === "error")) {
    return { ...base, ok: false, summary: "Error translating config: snippet is invalid" };
  }
  if (options.strict && diagnostics.length > 0) return { ...base, ok: false, summary: STRICT_SUMMARY };
  const text = `${marshalIgnition(outcome.config, outcome.spec.ignition.type, options.pretty === true)}\n`;
  return { ...base, ok: true, ignition: text, config: outcome.config };
}

/**
 * Compiles Butane source (text, or a file's bytes) to Ignition, like `butane [--strict] [--pretty] [-d DIR]`.
 * Never throws on bad input: every problem is a diagnostic (kind, source path, line/column,
 * message) and `ok` is false with the reference's `summary` line. The only I/O is reading
 * `local` files under `filesDir`.
 */
export function compileButane(source: string | Uint8Array, options: ButaneOptions = {}): ButaneResult {
  if (typeof source !== "string") {
    // Bytes, as a file holds them: decoded as libyaml would (UTF-8 or UTF-16), or refused as it does.
    const decoded = decodeYamlInput(source);
    if (!decoded.ok) {
      const outcome = { entries: [], error: `Error unmarshaling yaml: yaml: ${decoded.problem}` };
      return finish({ outcome, diagnostics: [] }, options);
    }
    return finish(compileInternal(decoded.text, options), options);
  }
  return finish(compileInternal(source, options), options);
}

/**
 * Compiles a base config and merges Butane "snippets" into it the way Typhoon's provider
 * does: each snippet is compiled to Ignition on its own and appended to the base's
 * `ignition.config.merge` as an inline data URL, so Ignition merges it at boot. A snippet's
 * diagnostics carry its index in their path (`$.snippets.1.storage.files.0.path`, with the
 * snippet's own line and column). A snippet must not target a newer Ignition version than the
 * base (Ignition could not parse it).
 */
export function compileButaneSnippets(
  source: string,
  snippets: readonly string[],
  options: ButaneOptions = {},
): ButaneResult {
  const base = compileInternal(source, options);
  const extra: ButaneDiagnostic[] = [];
  const merges: IgnObject[] = [];
  const baseVersion = base.outcome.spec?.ignition.version;
  snippets.forEach((snippet, i) => {
    const result = compileButane(snippet, { ...options, pretty: false });
    const prefix = `$.snippets.${i}`;
    for (const d of result.diagnostics) extra.push({ ...d, path: `${prefix}${d.path.slice(1)}` });
    if (!result.ok || !result.ignition) {
      extra.push({ kind: "error", path: prefix, message: result.summary ?? "snippet is invalid" });
      return;
    }
    if (baseVersion && result.ignitionVersion && compareVersions(result.ignitionVersion, baseVersion) > 0) {
      extra.push({
        kind: "error",
        path: prefix,
        message: `snippet produces Ignition ${result.ignitionVersion}, newer than the base config's ${baseVersion}`,
      });
      return;
    }
    const data = makeDataUrl(Buffer.from(result.ignition.trimEnd(), "utf8"), undefined, true);
    merges.push({ compression: data.compression ?? "", source: data.url });
  });
  const config = base.outcome.config;
  if (config && merges.length > 0) {
    const ignition = (config.ignition ?? {}) as IgnObject;
    const cfg = (ignition.config ?? {}) as IgnObject;
    cfg.merge = [...(Array.isArray(cfg.merge) ? cfg.merge : []), ...merges];
    ignition.config = cfg;
    config.ignition = ignition;
  }
  return finish(base, options, extra);
}

function compareVersions(a: string, b: string): number {
  // "3.5.0-experimental": the numbers before any pre-release tag.
  const pa = a.split(".").map((p) => Number.parseInt(p, 10));
  const pb = b.split(".").map((p) => Number.parseInt(p, 10));
  for (let i = 0; i < 3; i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
}
