import type { LocalFileOptions } from "./base/local-files.js";
import type { TranslationSet } from "./base/translation.js";
import { Report, type ReportEntry } from "./diagnostics.js";
import type { IgnObject } from "./ignition/schema.js";
import { validateDuplicates, validateIgnition } from "./ignition/validate.js";
import { field, STRING, struct } from "./schema/types.js";
import { runChecks, unusedKeys } from "./schema/walk.js";
import { findSpecVersion, type SpecVersion } from "./variants/index.js";
import { type DecodedStruct, GoYamlDecoder, YamlDecodeFailure } from "./yaml/decode.js";
import type { YamlNode } from "./yaml/node.js";
import { parseYaml } from "./yaml/parse.js";

/** The reference's top-level errors (config/common/errors.go). */
const ERR_NO_VARIANT = "error parsing variant; must be specified";
const ERR_INVALID_VERSION = "error parsing version; must be a valid semver";
const ERR_INVALID_SOURCE = "source config is invalid";
const ERR_INVALID_GENERATED = "config generated was invalid";

export interface CompileOutcome {
  /** Report entries in the reference's order, paths already in YAML space. */
  readonly entries: readonly ReportEntry[];
  /** The YAML tree, to locate entries. */
  readonly root?: YamlNode;
  /** Set when translation failed: the text after `Error translating config: `. */
  readonly error?: string;
  readonly spec?: SpecVersion;
  readonly config?: IgnObject;
  /** Where the output came from, once translation succeeded (for `--debug`). */
  readonly translations?: TranslationSet;
}

const commonFields = struct("config.commonFields", [field("version", STRING), field("variant", STRING)]);
const SEMVER_IDENTIFIER = /^[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*$/;

/** coreos/go-semver parsing; returns the normalized version or undefined. */
export function parseSemver(text: string): string | undefined {
  let rest = text;
  let metadata = "";
  let pre = "";
  const plus = rest.indexOf("+");
  if (plus >= 0) {
    metadata = rest.slice(plus + 1);
    rest = rest.slice(0, plus);
  }
  const dash = rest.indexOf("-");
  if (dash >= 0) {
    pre = rest.slice(dash + 1);
    rest = rest.slice(0, dash);
  }
  const parts = rest.split(".");
  if (parts.length < 3) return undefined;
  const dotParts = [parts[0], parts[1], parts.slice(2).join(".")];
  if ((pre && !SEMVER_IDENTIFIER.test(pre)) || (metadata && !SEMVER_IDENTIFIER.test(metadata)))
    return undefined;
  const numbers: bigint[] = [];
  for (const p of dotParts) {
    if (!p || !/^[+-]?\d+$/.test(p)) return undefined;
    const n = BigInt(p);
    if (n > (1n << 63n) - 1n || n < -(1n << 63n)) return undefined;
    numbers.push(n);
  }
  return `${numbers.join(".")}${pre ? `-${pre}` : ""}${metadata ? `+${metadata}` : ""}`;
}

function unmarshalErrors(errors: readonly string[]): string {
  return `yaml: unmarshal errors:\n  ${errors.join("\n  ")}`;
}

function inYamlSpace(report: Report, translations: TranslationSet): ReportEntry[] {
  return report.entries.map((e) =>
    e.space === "json" ? { ...e, path: translations.toYaml(e.path), space: "yaml" as const } : e,
  );
}

/** The staged pipeline of the reference's TranslateBytes, stopping where it stops. */
export function compileStages(source: string, options: LocalFileOptions): CompileOutcome {
  const parsed = parseYaml(source);
  if (parsed.error) {
    const where = parsed.error.line > 0 ? `line ${parsed.error.line}: ` : "";
    return { entries: [], error: `Error unmarshaling yaml: yaml: ${where}${parsed.error.message}` };
  }
  const root = parsed.root;

  // Stage 1: read variant and version only (config.TranslateBytes).
  const probe = new GoYamlDecoder();
  let common: DecodedStruct;
  try {
    common = probe.decodeStruct(root, commonFields);
  } catch (error) {
    if (error instanceof YamlDecodeFailure)
      return { entries: [], error: `Error unmarshaling yaml: yaml: ${error.message}` };
    throw error;
  }
  if (probe.errors.length > 0)
    return { entries: [], error: `Error unmarshaling yaml: ${unmarshalErrors(probe.errors)}` };
  const variant = typeof common.variant === "string" ? common.variant : "";
  if (variant === "") return { entries: [], error: ERR_NO_VARIANT };
  const version = parseSemver(typeof common.version === "string" ? common.version : "");
  if (version === undefined) return { entries: [], error: ERR_INVALID_VERSION };
  const spec = findSpecVersion(variant, version);
  if (!spec)
    return { entries: [], error: `No translator exists for variant ${variant} with version ${version}` };

  // Stage 2: decode with the spec's schema (util.TranslateBytes).
  const decoder = new GoYamlDecoder();
  let cfg: ReturnType<GoYamlDecoder["decodeStruct"]>;
  try {
    cfg = decoder.decodeStruct(root, spec.schema);
  } catch (error) {
    if (error instanceof YamlDecodeFailure) return { entries: [], error: `yaml: ${error.message}`, spec };
    throw error;
  }
  if (decoder.errors.length > 0) return { entries: [], error: unmarshalErrors(decoder.errors), spec };

  const entries: ReportEntry[] = [...unusedKeys(spec.schema, cfg, root).entries];
  let translations: TranslationSet | undefined;
  const done = (error?: string, config?: IgnObject): CompileOutcome => ({
    entries,
    ...(root ? { root } : {}),
    ...(error ? { error } : {}),
    spec,
    ...(config ? { config } : {}),
    ...(translations ? { translations } : {}),
  });

  // Stage 3: validate the source (validate.Validate over the Butane structs).
  const source3 = runChecks(spec.schema, cfg, spec.sourceChecks);
  entries.push(...source3.entries);
  if (source3.isFatal()) return done(ERR_INVALID_SOURCE);

  // Stage 4: translate.
  const translated = spec.translate(cfg, options);
  const translateEntries = inYamlSpace(translated.report, translated.translations);
  entries.push(...translateEntries);
  if (translateEntries.some((e) => e.kind === "error")) return done(ERR_INVALID_SOURCE);
  translations = translated.translations;

  // Stage 5: fields this spec version forbids.
  const filterReport = new Report();
  for (const filter of spec.filters)
    for (const path of filter.find(translated.config)) filterReport.error(path, filter.message, "json");
  entries.push(...inYamlSpace(filterReport, translated.translations));
  if (filterReport.isFatal()) return done(ERR_INVALID_SOURCE);

  // Stage 6: Ignition's duplicate and semantic validation of the output.
  const dups = validateDuplicates(translated.config, spec.ignition.type);
  const semantic = validateIgnition(translated.config, spec.ignition.type, spec.ignition.rules);
  entries.push(
    ...inYamlSpace(dups, translated.translations),
    ...inYamlSpace(semantic, translated.translations),
  );
  if (dups.isFatal() || semantic.isFatal()) return done(ERR_INVALID_GENERATED);
  return done(undefined, translated.config);
}
