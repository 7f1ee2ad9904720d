import {
  isMap,
  isScalar,
  isSeq,
  type Node,
  Pair,
  parseDocument,
  Scalar,
  type ScalarTag,
  type Tags,
  YAMLMap,
  YAMLSeq,
} from "yaml";
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

/**
 * Characters a YAML literal block can hold as they are: what libyaml (go-yaml, so Butane)
 * calls printable, minus the line breaks other than LF (CR, NEL, LS, PS end a line there)
 * and the byte order mark.
 */
const BLOCK_SAFE = /^[\t\n\u0020-\u007e\u00a0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd]*$/;

/**
 * Characters the yaml library leaves raw inside double quotes (it escapes only what JSON
 * escapes) but libyaml rejects (DEL, C1 controls, BOM, U+FFFE/U+FFFF) or reads as a line
 * break that folds to a space (NEL, LS, PS).
 */
const RAW_BUT_NOT_LIBYAML_SAFE = /[\u007f-\u009f\u2028\u2029\ufeff\ufffe\uffff]/;

const NAMED_ESCAPES: Readonly<Record<string, string>> = {
  "\0": "\\0",
  "\u0007": "\\a",
  "\b": "\\b",
  "\t": "\\t",
  "\n": "\\n",
  "\v": "\\v",
  "\f": "\\f",
  "\r": "\\r",
  "\u001b": "\\e",
  '"': '\\"',
  "\\": "\\\\",
  "\u0085": "\\N",
  "\u2028": "\\L",
  "\u2029": "\\P",
};

/** A one-line double-quoted scalar in which everything libyaml does not print as is is escaped. */
function libyamlDoubleQuoted(value: string): string {
  let quoted = '"';
  for (const character of value) {
    const code = character.codePointAt(0) ?? 0;
    const named = NAMED_ESCAPES[character];
    if (named !== undefined) quoted += named;
    else if (code < 0x20 || (code >= 0x7f && code < 0xa0))
      quoted += `\\x${code.toString(16).padStart(2, "0")}`;
    else if (code === 0xfeff || code === 0xfffe || code === 0xffff) quoted += `\\u${code.toString(16)}`;
    else quoted += character;
  }
  return `${quoted}"`;
}

/** The YAML 1.1 tags with a string writer that libyaml reads back exactly. */
function withLibyamlSafeStrings(tags: Tags): Tags {
  return tags.map((tag) => {
    if (typeof tag === "string" || tag.tag !== "tag:yaml.org,2002:str" || tag.stringify === undefined)
      return tag;
    const stringTag = tag as ScalarTag;
    const writeDefault = tag.stringify;
    const safe: ScalarTag = {
      ...stringTag,
      stringify(item, context, onComment, onChompKeep) {
        if (
          isScalar(item) &&
          item.type === "QUOTE_DOUBLE" &&
          typeof item.value === "string" &&
          RAW_BUT_NOT_LIBYAML_SAFE.test(item.value)
        )
          return libyamlDoubleQuoted(item.value);
        return writeDefault(item, context, onComment, onChompKeep);
      },
    };
    return safe;
  });
}

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
  const document = parseDocument(template, {
    version: "1.1",
    prettyErrors: false,
    customTags: withLibyamlSafeStrings,
  });
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
