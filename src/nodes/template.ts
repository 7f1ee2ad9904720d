import { isMap, isScalar, isSeq, type Node, Pair, parseDocument, Scalar, YAMLMap, YAMLSeq } from "yaml";
import { HomelabError } from "../errors/index.js";

/**
 * Renders a Butane template with typed values, without ever pasting text into YAML.
 *
 * A template is a YAML document in which some scalars are markers: `"{{ name }}"` is replaced
 * by the YAML node of a value, and an item `"{{ ...name }}"` of a sequence by the items of a
 * list value (zero or more). Values become nodes through the `yaml` library: strings are
 * double-quoted (or, when multi-line and printable, a literal block), so quotes, colons,
 * `#`, newlines, leading `-` or `0644`-looking text stay strings. Everything else in the
 * template, including comments and `mode: 0644`, is kept as written.
 *
 * Templates are parsed as YAML 1.1 so that `0644` stays an octal number, as Butane (go-yaml)
 * reads it.
 */

export type TemplateValue =
  | string
  | number
  | boolean
  | readonly TemplateValue[]
  | { readonly [key: string]: TemplateValue | undefined };

const MARKER = /^\{\{\s*(\.\.\.)?([A-Za-z][A-Za-z0-9]*)\s*\}\}$/;

/** Characters a YAML literal block can hold as they are (printable, tab, newline; no CR). */
const BLOCK_SAFE = /^[\t\n\u0020-\u007e\u00a0-\ud7ff\ue000-\ufffd]*$/;

function internal(message: string): HomelabError {
  return new HomelabError("internal", message, {
    fix: "This is a bug in homelab's Butane templates (butane-configs/). Please report it.",
  });
}

/** A string scalar that no YAML resolver can read as anything but this exact string. */
function stringNode(value: string): Scalar {
  const node = new Scalar(value);
  const multiLine = value.includes("\n") && !value.includes("\r");
  // A block must not start with a blank-only first line issue: the yaml library adds an
  // indentation indicator when needed; we only rule out characters a block cannot carry.
  node.type =
    multiLine && BLOCK_SAFE.test(value) && !/[ \t]\n|[ \t]$/.test(value) ? "BLOCK_LITERAL" : "QUOTE_DOUBLE";
  return node;
}

function toNode(value: TemplateValue, key: string | undefined): Node {
  if (typeof value === "string") return stringNode(value);
  if (typeof value === "number") {
    const node = new Scalar(value);
    // File modes read best in octal, as Butane users write them.
    if (key === "mode" && Number.isInteger(value) && value >= 0) node.format = "OCT";
    return node;
  }
  if (typeof value === "boolean") return new Scalar(value);
  if (Array.isArray(value)) {
    const seq = new YAMLSeq();
    for (const item of value as readonly TemplateValue[]) seq.items.push(toNode(item, undefined));
    return seq;
  }
  const map = new YAMLMap();
  for (const [entryKey, entryValue] of Object.entries(
    value as { readonly [key: string]: TemplateValue | undefined },
  )) {
    if (entryValue === undefined) continue;
    map.items.push(new Pair(stringKey(entryKey), toNode(entryValue, entryKey)));
  }
  return map;
}

/** Keys are Butane field names: plain when they are simple identifiers, quoted otherwise. */
function stringKey(key: string): Scalar {
  const node = new Scalar(key);
  node.type =
    /^[a-z][a-z0-9_]*$/.test(key) && !/^(y|n|yes|no|on|off|true|false|null)$/i.test(key)
      ? "PLAIN"
      : "QUOTE_DOUBLE";
  return node;
}

function markerOf(node: unknown): { spread: boolean; name: string } | undefined {
  if (!isScalar(node) || typeof node.value !== "string") return undefined;
  const match = MARKER.exec(node.value);
  return match ? { spread: match[1] !== undefined, name: match[2]! } : undefined;
}

/**
 * Fills the markers of `template` from `values` and returns the Butane text. Every marker
 * must have a value and every value a marker; spreads need lists. Violations are bugs.
 */
export function renderTemplate(template: string, values: Readonly<Record<string, TemplateValue>>): string {
  const document = parseDocument(template, { version: "1.1", prettyErrors: false });
  if (document.errors.length > 0)
    throw internal(`template is not valid YAML: ${document.errors[0]?.message}`);
  const used = new Set<string>();
  const lookup = (name: string): TemplateValue => {
    const value = values[name];
    if (value === undefined) throw internal(`template marker {{ ${name} }} has no value`);
    used.add(name);
    return value;
  };
  const fill = (node: unknown, key: string | undefined): unknown => {
    const marker = markerOf(node);
    if (marker) {
      if (marker.spread) throw internal(`{{ ...${marker.name} }} is only allowed as a list item`);
      return toNode(lookup(marker.name), key);
    }
    if (isMap(node)) {
      for (const pair of node.items) {
        const pairKey = isScalar(pair.key) ? String(pair.key.value) : undefined;
        pair.value = fill(pair.value, pairKey);
      }
    } else if (isSeq(node)) {
      const items: unknown[] = [];
      for (const item of node.items) {
        const itemMarker = markerOf(item);
        if (itemMarker?.spread) {
          const value = lookup(itemMarker.name);
          if (!Array.isArray(value)) throw internal(`{{ ...${itemMarker.name} }} needs a list value`);
          for (const element of value as readonly TemplateValue[]) items.push(toNode(element, undefined));
        } else {
          items.push(fill(item, undefined));
        }
      }
      node.items = items;
    }
    return node;
  };
  document.contents = fill(document.contents, undefined) as typeof document.contents;
  const unused = Object.keys(values).filter((name) => !used.has(name));
  if (unused.length > 0) throw internal(`values without a template marker: ${unused.join(", ")}`);
  // lineWidth 0: never fold long strings (a folded line in a double-quoted string is still
  // correct YAML, but unfolded output is easier to read and to diff).
  return document.toString({ lineWidth: 0, minContentWidth: 0 });
}
