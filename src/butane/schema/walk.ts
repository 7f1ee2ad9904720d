import { formatPath, type PathElement, Report } from "../diagnostics.js";
import type { Decoded, DecodedStruct } from "../yaml/decode.js";
import type { YamlNode } from "../yaml/node.js";
import type { StructSpec, TypeSpec } from "./types.js";

/** A check run on every struct of one Go type, in the reference's walk order (vcontext validate). */
export type StructCheck = (value: DecodedStruct, path: readonly PathElement[], report: Report) => void;

/** Checks keyed by the Go type name without its package (`File`, `Resource`, ...). */
export type StructChecks = Readonly<Record<string, StructCheck>>;

function shortName(spec: StructSpec): string {
  const dot = spec.goName.lastIndexOf(".");
  return dot >= 0 ? spec.goName.slice(dot + 1) : spec.goName;
}

/**
 * Walks a decoded config like vcontext does over the Go struct: every struct of the schema is
 * visited (absent ones as zero values), its own check first, then its fields in declaration
 * order, list items by index.
 */
export function walkStructs(
  spec: StructSpec,
  value: DecodedStruct,
  visit: (spec: StructSpec, value: DecodedStruct, path: PathElement[]) => void,
): void {
  const go = (type: TypeSpec, v: Decoded | undefined, path: PathElement[]): void => {
    if (type.kind === "struct") {
      // An absent struct is a zero value: no check reports anything on one, so skip it.
      if (v === undefined && path.length > 0) return;
      const s = v !== undefined && typeof v === "object" && !Array.isArray(v) ? v : {};
      visit(type, s, path);
      for (const f of type.fields) go(f.type, s[f.key], [...path, f.key]);
    } else if (type.kind === "list" && Array.isArray(v)) {
      for (const [i, item] of v.entries()) go(type.of, item, [...path, i]);
    }
  };
  go(spec, value, []);
}

export function runChecks(spec: StructSpec, value: DecodedStruct, checks: StructChecks): Report {
  const report = new Report();
  walkStructs(spec, value, (s, v, path) => checks[shortName(s)]?.(v, path, report));
  return report;
}

/** The value of a mapping's key (the last one, as vcontext's map keeps it). */
function mappingValue(node: YamlNode, key: string): YamlNode | undefined {
  let found: YamlNode | undefined;
  for (let i = 0; i < node.content.length; i += 2)
    if (node.content[i]?.value === key) found = node.content[i + 1];
  return found;
}

/**
 * "Unused key" warnings: mapping keys that no field of the struct decodes (Ignition's
 * ValidateUnusedKeys, run by vcontext over every struct value). A struct whose YAML node is
 * not a mapping (a null such as an empty `contents:`, or an alias) is reported instead as a
 * context-tree mismatch, and its keys are not checked. Nil pointers to structs are skipped,
 * as the reference does not descend into them.
 */
export function unusedKeys(spec: StructSpec, value: DecodedStruct, root: YamlNode | undefined): Report {
  const report = new Report();
  const check = (s: StructSpec, node: YamlNode | undefined, path: PathElement[]): void => {
    if (!node) return; // not every struct has YAML behind it
    if (node.kind !== "mapping") {
      report.warn(path, contextMismatch(path));
      return;
    }
    const known = new Set(s.fields.map((f) => f.key));
    const seen = new Set<string>();
    for (let i = 0; i < node.content.length; i += 2) {
      const key = node.content[i];
      if (!key || known.has(key.value) || seen.has(key.value)) continue;
      seen.add(key.value);
      report.warn([...path, { key: key.value }], `Unused key ${key.value}`);
    }
  };
  // The YAML node travels with the walk (vcontext's tree Get): under a scalar or an alias
  // there is none.
  const go = (
    type: TypeSpec,
    v: Decoded | undefined,
    node: YamlNode | undefined,
    path: PathElement[],
    pointer: boolean,
  ): void => {
    if (type.kind === "struct") {
      if (v === undefined) {
        // A zero struct: only a YAML node that is not a mapping (null, alias) can sit here.
        if (!pointer && path.length > 0) check(type, node, path);
        return;
      }
      const s = typeof v === "object" && !Array.isArray(v) ? v : {};
      check(type, node, path);
      for (const f of type.fields) {
        const child = node?.kind === "mapping" ? mappingValue(node, f.key) : undefined;
        go(f.type, s[f.key], child, [...path, f.key], f.pointer === true);
      }
    } else if (type.kind === "list" && Array.isArray(v)) {
      const items = node?.kind === "sequence" ? node.content : [];
      for (const [i, item] of v.entries()) go(type.of, item, items[i], [...path, i], false);
    }
  };
  go(spec, value, root, [], false);
  return report;
}

export function contextMismatch(path: readonly PathElement[]): string {
  return `context tree does not match content tree at ${formatPath(path)}. Line and column reporting may be inconsistent. Unused keys may not be reported.`;
}
