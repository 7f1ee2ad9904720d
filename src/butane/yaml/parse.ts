import {
  type Alias,
  type Document,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  type Node,
  type ParsedNode,
  parseAllDocuments,
  Scalar,
  type YAMLError,
} from "yaml";
import { blockScalarTab } from "./block-scalar-tabs.js";
import { decodeDoubleQuoted, decodeSingleQuoted } from "./double-quoted.js";
import {
  MAP_TAG,
  type ScalarStyle,
  SEQ_TAG,
  STR_TAG,
  type YamlNode,
  type YamlParseResult,
  type YamlSyntaxError,
} from "./node.js";
import { resolvePlain } from "./resolve.js";

const LONG_TAG_PREFIX = "tag:yaml.org,2002:";

/** Maps offsets to go-yaml positions: 1-based lines, 1-based columns counted in code points. */
class PositionIndex {
  private readonly lineStarts: number[] = [0];
  get source(): string {
    return this.text;
  }
  constructor(private readonly text: string) {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.lineStarts.push(i + 1);
  }
  at(offset: number): { line: number; column: number } {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.lineStarts[mid] ?? 0) <= offset) lo = mid;
      else hi = mid - 1;
    }
    const start = this.lineStarts[lo] ?? 0;
    let column = 1;
    for (let i = start; i < offset && i < this.text.length; i++) {
      const c = this.text.charCodeAt(i);
      if (c < 0xdc00 || c > 0xdfff) column++; // count a surrogate pair once
    }
    return { line: lo + 1, column };
  }
}

function shortTag(tag: string): string {
  return tag.startsWith(LONG_TAG_PREFIX) ? `!!${tag.slice(LONG_TAG_PREFIX.length)}` : tag;
}

const STYLE: Record<string, ScalarStyle> = {
  PLAIN: "plain",
  QUOTE_DOUBLE: "double",
  QUOTE_SINGLE: "single",
  BLOCK_LITERAL: "literal",
  BLOCK_FOLDED: "folded",
};

/** go-yaml places a node with an anchor or tag at its first property, not at its value. */
function startWithProperties(text: string, offset: number, properties: number): number {
  let start = offset;
  for (let n = 0; n < properties; n++) {
    let i = start - 1;
    while (i >= 0 && (text[i] === " " || text[i] === "\t" || text[i] === "\n" || text[i] === "\r")) i--;
    let j = i;
    while (j >= 0 && !/\s/.test(text[j] ?? " ")) j--;
    const word = text.slice(j + 1, i + 1);
    if (!word.startsWith("&") && !word.startsWith("!")) break;
    start = j + 1;
  }
  return start;
}

/** Whether a block scalar's last line is text (a tab counts) that ends the stream without a line break. */
function endsStreamUnbroken(text: string, end: number): boolean {
  if (end < text.length || /[\r\n]$/.test(text)) return false;
  return /[^ ]/.test(text.slice(text.lastIndexOf("\n") + 1));
}

/** A plain scalar with no text, no anchor and no tag: the `yaml` package's empty value. */
function isEmptyPlain(node: unknown): boolean {
  if (!isScalar(node) || node.anchor || node.tag || node.type !== "PLAIN") return false;
  const range = (node as ParsedNode).range;
  return range !== undefined && range !== null && range[0] === range[1];
}

class Converter {
  private readonly anchors = new Map<string, YamlNode>();
  /** The first error found while converting (libyaml's escape and flow rules), if any. */
  error: YamlSyntaxError | undefined;
  /** The flow collections around the node being converted, innermost last. */
  private readonly flows: { readonly sequence: boolean; readonly offset: number }[] = [];
  constructor(
    private readonly text: string,
    private readonly positions: PositionIndex,
  ) {}

  convert(node: Node | null | undefined, emptyAt: number): YamlNode {
    if (node === null || node === undefined) return this.scalar("", "plain", undefined, emptyAt, 0);
    const props = (node.anchor ? 1 : 0) + (node.tag ? 1 : 0);
    const rangeStart = (node as ParsedNode).range?.[0] ?? emptyAt;
    const start = props > 0 ? startWithProperties(this.text, rangeStart, props) : rangeStart;
    let result: YamlNode;
    if (isAlias(node)) {
      const target = this.anchors.get((node as Alias).source);
      const pos = this.positions.at(start);
      result = {
        kind: "alias",
        tag: "",
        explicitTag: false,
        value: (node as Alias).source,
        style: "plain",
        line: pos.line,
        column: pos.column,
        content: [],
        ...(target ? { alias: target } : {}),
      };
    } else if (isScalar(node)) {
      const style = STYLE[node.type ?? "PLAIN"] ?? "plain";
      let value = typeof node.value === "string" ? node.value : String(node.value ?? "");
      const range = (node as ParsedNode).range;
      if (style === "double" && range) value = this.doubleQuoted(range[0], range[1]) ?? value;
      else if (style === "single" && range && /[\r\n]/.test(this.text.slice(range[0], range[1])))
        value = decodeSingleQuoted(this.text.slice(range[0], range[1]));
      else if (style === "plain" && range && this.flows.length > 0) this.plainInFlow(range[0], range[1]);
      // libyaml adds no final line break when the text ends the stream without one.
      else if ((style === "literal" || style === "folded") && range && value.endsWith("\n"))
        if (endsStreamUnbroken(this.text, range[1])) value = value.slice(0, -1);
      result = this.scalar(value, style, node.tag, start, 0);
    } else if (isMap(node) || isSeq(node)) {
      const pos = this.positions.at(start);
      const explicit = node.tag !== undefined && node.tag !== "!";
      const collection: YamlNode = {
        kind: isMap(node) ? "mapping" : "sequence",
        tag: explicit && node.tag ? shortTag(node.tag) : isMap(node) ? MAP_TAG : SEQ_TAG,
        explicitTag: explicit,
        value: "",
        style: node.flow ? "flow" : "block",
        line: pos.line,
        column: pos.column,
        content: [],
      };
      if (node.anchor) this.anchors.set(node.anchor, collection);
      if (node.flow) this.flows.push({ sequence: isSeq(node), offset: rangeStart });
      if (isMap(node)) {
        for (const pair of node.items) {
          const key = pair.key as Node | null;
          const keyNode = this.convert(key, (key as ParsedNode | null)?.range?.[0] ?? start);
          const keyEnd = (key as ParsedNode | null)?.range?.[1] ?? start;
          // An empty value is placed after its `:`, not after the blanks that follow it.
          const value = isEmptyPlain(pair.value) ? null : (pair.value as Node | null);
          collection.content.push(keyNode, this.convert(value, this.emptyValueOffset(keyEnd)));
        }
      } else {
        for (const item of node.items) collection.content.push(this.convert(item as Node | null, start));
      }
      if (node.flow) this.flows.pop();
      return collection;
    } else {
      result = this.scalar("", "plain", undefined, start, 0);
    }
    if (node.anchor) this.anchors.set(node.anchor, result);
    return result;
  }

  /** The value of the double-quoted scalar at [from, to), by libyaml's escape rules. */
  private doubleQuoted(from: number, to: number): string | undefined {
    const raw = this.text.slice(from, to);
    if (!raw.includes("\\") && !/[\r\n]/.test(raw)) return undefined;
    const decoded = decodeDoubleQuoted(raw);
    if ("value" in decoded) return decoded.value;
    if (!this.error) {
      // A scanner error: go-yaml names the scalar's line, or the escape's when that is line 1.
      const quoteLine = this.positions.at(from).line;
      const line = quoteLine > 1 ? quoteLine : this.positions.at(from + decoded.at).line;
      this.error = { line: line > 1 ? line : 0, message: decoded.error };
    }
    return "";
  }

  /**
   * libyaml ends a plain scalar at a `?` inside a flow collection (YAML 1.2 lets it through), and
   * the `?` then stands where the collection wanted a `,`: a parser error at the collection's line.
   */
  private plainInFlow(from: number, to: number): void {
    const question = this.text.indexOf("?", from);
    const flow = this.flows[this.flows.length - 1];
    if (this.error || question < 0 || question >= to || !flow) return;
    const contextLine0 = this.positions.at(flow.offset).line - 1;
    const line = contextLine0 !== 0 ? contextLine0 : this.positions.at(question).line - 1;
    this.error = { line, message: `did not find expected ',' or '${flow.sequence ? "]" : "}"}'` };
  }

  /** An empty value sits right after the `:` that introduced it. */
  private emptyValueOffset(keyEnd: number): number {
    let i = keyEnd;
    while (i < this.text.length && (this.text[i] === " " || this.text[i] === "\t")) i++;
    return this.text[i] === ":" ? i + 1 : keyEnd;
  }

  private scalar(
    value: string,
    style: ScalarStyle,
    tag: string | undefined,
    offset: number,
    _depth: number,
  ): YamlNode {
    const pos = this.positions.at(offset);
    const explicit = tag !== undefined && tag !== "!";
    let resolvedTag: string;
    if (explicit && tag) resolvedTag = shortTag(tag);
    else if (style !== "plain") resolvedTag = STR_TAG;
    else resolvedTag = resolvePlain(value).tag;
    return {
      kind: "scalar",
      tag: resolvedTag,
      explicitTag: explicit,
      value,
      style,
      line: pos.line,
      column: pos.column,
      content: [],
    };
  }
}

/** Block collections in document order, with their start position and indentation column. */
interface Collection {
  readonly line: number;
  readonly column: number;
  readonly endOffset: number;
  readonly startOffset: number;
  readonly sequence: boolean;
}

function blockCollections(root: Node | null | undefined, positions: PositionIndex): Collection[] {
  const found: Collection[] = [];
  const visit = (node: unknown): void => {
    if (!node || typeof node !== "object") return;
    if ((isMap(node) || isSeq(node)) && !node.flow && node.range) {
      const pos = positions.at(node.range[0]);
      found.push({ ...pos, startOffset: node.range[0], endOffset: node.range[2], sequence: isSeq(node) });
    }
    if (isMap(node)) {
      for (const pair of node.items) {
        visit(pair.key);
        const key = pair.key as ParsedNode | null;
        const value = pair.value as ParsedNode | null;
        // An "indentless" sequence (its `-` in the key's column) is no block of its own to
        // libyaml: errors after it are reported in the mapping's context.
        if (key?.range && isSeq(value) && !value.flow && value.range) {
          if (positions.at(value.range[0]).column === positions.at(key.range[0]).column) {
            for (const item of value.items) visit(item);
            continue;
          }
        }
        visit(pair.value);
      }
    } else if (isSeq(node)) {
      for (const item of node.items) visit(item);
    }
  };
  visit(root);
  return found;
}

const STRUCTURE_ERRORS = new Set(["BAD_INDENT", "MISSING_CHAR", "UNEXPECTED_TOKEN", "BLOCK_AS_IMPLICIT_KEY"]);

/**
 * Names the line go-yaml (libyaml) would put in its message. libyaml reports a structural
 * error at the 0-based line of the block collection it was parsing (its "context mark"),
 * falling back to the 0-based line of the offending token when that context is line 0;
 * scanner errors use 1-based lines. This approximates that from the `yaml` package's errors.
 */
function goYamlError(
  error: YAMLError,
  doc: Document.Parsed,
  positions: PositionIndex,
): { line: number; message: string } {
  let offset = error.pos[0];
  const text = positions.source;
  // The offending token, not the indentation before it.
  while (offset < text.length && /[ \t\r\n]/.test(text[offset] ?? "")) offset++;
  const at = positions.at(offset);
  const firstLine = error.message.split("\n")[0] ?? error.message;
  const message = firstLine.replace(/ at line \d+, column \d+:?$/, "");
  const libyaml = libyamlEquivalent(error, message, offset, doc, positions);
  if (libyaml) return libyaml;
  const quoted = /^(Missing closing|Unexpected end of flow|Missing , or :)/.test(message);
  if (STRUCTURE_ERRORS.has(error.code) && !quoted && !/quote/i.test(message)) {
    const collections = blockCollections(doc.contents, positions).filter(
      (c) => c.startOffset < offset && c.column < at.column,
    );
    const context = collections[collections.length - 1];
    const contextLine0 = context ? context.line - 1 : 0;
    // Inside a block sequence libyaml wants the next `-`; anywhere else, a key.
    const expected = context?.sequence ? "did not find expected '-' indicator" : "did not find expected key";
    return { line: contextLine0 !== 0 ? contextLine0 : at.line - 1, message: expected };
  }
  return { line: at.line, message: message.charAt(0).toLowerCase() + message.slice(1) };
}

/** Where a scan for a character skips quoted text and comments. */
function scanOutsideQuotes(text: string, from: number, step: 1 | -1, found: (i: number) => boolean): number {
  let quote: string | undefined;
  for (let i = from; i >= 0 && i < text.length; i += step) {
    const c = text[i];
    if (quote) {
      if (c === quote) quote = undefined;
      continue;
    }
    if (step === 1 && (c === '"' || c === "'")) quote = c;
    else if (found(i)) return i;
  }
  return -1;
}

/**
 * Whether libyaml would take the plain scalar at `offset` as a *required* simple key: the
 * first token of its line, in the column of the entry on the line above (a sibling key, so
 * the mapping's indentation). Such a key that runs onto the next line is an error at once.
 */
function requiredSimpleKey(text: string, offset: number, positions: PositionIndex): boolean {
  const lineStart = text.lastIndexOf("\n", offset - 1) + 1;
  if (text.slice(lineStart, offset).trim() !== "") return false;
  const column = offset - lineStart;
  let end = lineStart - 1;
  while (end > 0) {
    const start = text.lastIndexOf("\n", end - 1) + 1;
    const line = text.slice(start, end);
    end = start - 1;
    if (line.trim() === "" || line.trim().startsWith("#")) continue;
    const entry = /^(\s*(?:-\s+)*)/.exec(line)?.[1] ?? "";
    return entry.length === column;
  }
  return positions.at(offset).column === 1;
}

/**
 * libyaml's message and line for the errors the `yaml` package words differently: a value
 * that runs into a `key:` ("mapping values are not allowed in this context", at that colon's
 * line), an unclosed flow collection (at the line of its bracket, 0-based as libyaml's
 * context marks are), a quoted scalar without its closing quote (at the opening quote's
 * line), and a block sequence continued without `-` (at the sequence's line).
 */
function libyamlEquivalent(
  error: YAMLError,
  message: string,
  offset: number,
  doc: Document.Parsed,
  positions: PositionIndex,
): { line: number; message: string } | undefined {
  const text = positions.source;
  const lineOf = (i: number) => positions.at(i).line;
  const implicitKey =
    error.code === "MULTILINE_IMPLICIT_KEY" ||
    (error.code === "MISSING_CHAR" && /^Implicit map keys need to be followed/.test(message));
  if (implicitKey && requiredSimpleKey(text, error.pos[0], positions)) {
    // A key at its mapping's indentation that never gets its colon: a scanner error at the
    // key's line.
    return { line: lineOf(error.pos[0]), message: "could not find expected ':'" };
  }
  if (
    (error.code === "BLOCK_AS_IMPLICIT_KEY" && /^Nested mappings/.test(message)) ||
    error.code === "MULTILINE_IMPLICIT_KEY"
  ) {
    const colon = scanOutsideQuotes(
      text,
      error.pos[0],
      1,
      (i) => text[i] === ":" && /[\s]/.test(text[i + 1] ?? "\n"),
    );
    if (colon >= 0) return { line: lineOf(colon), message: "mapping values are not allowed in this context" };
  }
  const flow = /^Flow (sequence|map) in block collection/.exec(message);
  if (error.code === "BAD_INDENT" && flow) {
    const [open, close] = flow[1] === "sequence" ? ["[", "]"] : ["{", "}"];
    let depth = 0;
    const at = scanOutsideQuotes(text, offset - 1, -1, (i) => {
      if (text[i] === close) depth++;
      else if (text[i] === open) {
        if (depth === 0) return true;
        depth--;
      }
      return false;
    });
    const contextLine0 = at >= 0 ? lineOf(at) - 1 : 0;
    return {
      line: contextLine0 !== 0 ? contextLine0 : lineOf(offset) - 1,
      message: `did not find expected ',' or '${close}'`,
    };
  }
  if (error.code === "MISSING_CHAR" && /^Missing closing ["']quote/.test(message)) {
    const quoteChar = /"quote/.test(message) ? '"' : "'";
    const opening = text.lastIndexOf(quoteChar, Math.max(0, error.pos[0]));
    const contextLine0 = opening >= 0 ? lineOf(opening) - 1 : 0;
    // A scanner error: its line is the 0-based mark plus one.
    return {
      line: (contextLine0 !== 0 ? contextLine0 : lineOf(text.length) - 1) + 1,
      message: "found unexpected end of stream",
    };
  }
  if (error.code === "BAD_INDENT") {
    const column = positions.at(offset).column;
    const sequence = blockCollections(doc.contents, positions)
      .filter((c) => c.startOffset < offset && c.column === column)
      .pop();
    if (sequence?.sequence) {
      const contextLine0 = sequence.line - 1;
      return {
        line: contextLine0 !== 0 ? contextLine0 : lineOf(offset) - 1,
        message: "did not find expected '-' indicator",
      };
    }
  }
  return undefined;
}

/**
 * Whether `text` holds a character libyaml's reader refuses: it allows tab, LF, CR, printable
 * ASCII, NEL, and the rest of Unicode but surrogates (which UTF-8 cannot carry), U+FFFE, U+FFFF.
 */
function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x20 && c < 0x7f) continue;
    if (c === 0x09 || c === 0x0a || c === 0x0d || c === 0x85) continue;
    if (c < 0x20 || c < 0xa0 || c === 0xfffe || c === 0xffff) return true;
  }
  return false;
}
/** A `%YAML` directive, which go-yaml accepts only for version 1.1. */
const YAML_DIRECTIVE = /^%YAML[ \t]+(\S*)/m;

/** Errors libyaml raises before it parses anything: its reader's and its directive check. */
function readerError(text: string): YamlSyntaxError | undefined {
  if (hasControlCharacter(text)) return { line: 0, message: "control characters are not allowed" };
  const firstDocument = text.search(/^(---|\.\.\.)(?=[\s]|$)|^[^%#\s]/m);
  const directive = YAML_DIRECTIVE.exec(firstDocument >= 0 ? text.slice(0, firstDocument) : text);
  if (directive && directive[1] !== "1.1") {
    // A parser error: go-yaml names its 0-based line, or none on the first.
    const line = text.slice(0, directive.index).split("\n").length - 1;
    return { line, message: "found incompatible YAML document" };
  }
  return undefined;
}

/** Parses the first YAML document of `text` into go-yaml's node model; later ones are never read. */
export function parseYaml(input: string): YamlParseResult {
  const early = readerError(input);
  if (early) return { error: early };
  // libyaml takes a lone CR for a line break; the `yaml` package does not. Same length, same offsets.
  const text = input.includes("\r") ? input.replace(/\r(?!\n)/g, "\n") : input;
  const positions = new PositionIndex(text);
  let parseable = text;
  let doc = firstDocument(parseable);
  // libyaml does not mind the indentation of a quoted scalar's later lines; the `yaml` package
  // does. Such a scalar is handed to it on one line (same offsets) and decoded from the source.
  for (let round = 0; round < 16 && doc; round++) {
    const unclosed = doc.errors.find(
      (e) => e.code === "MISSING_CHAR" && /^Missing closing ["']quote/.test(e.message),
    );
    const joined = unclosed ? joinQuotedLines(parseable, unclosed) : undefined;
    if (!joined) break;
    parseable = joined;
    doc = firstDocument(parseable);
  }
  if (!doc) return /^\s*---/m.test(text.replace(/#.*$/gm, "")) ? { root: emptyRoot(text, positions) } : {};
  // Escapes are checked by libyaml's rules while converting (./double-quoted.ts).
  const error = doc.errors.find((e) => e.code !== "BAD_DQ_ESCAPE");
  const tab = text.includes("\t") ? blockScalarTab(text) : undefined;
  if (tab && (!error || error.pos[0] >= tab.header)) {
    // A scanner error: go-yaml names the indicator's line, or the tab's when that is line 1.
    const headerLine = positions.at(tab.header).line;
    const line = headerLine > 1 ? headerLine : positions.at(tab.offset).line;
    return { error: { line, message: "found a tab character where an indentation space is expected" } };
  }
  if (error) return { error: goYamlError(error, doc, positions) };
  if (doc.contents === null || doc.contents === undefined) {
    if (!/^\s*---/m.test(text.replace(/#.*$/gm, ""))) return {};
    return { root: emptyRoot(text, positions) };
  }
  const converter = new Converter(text, positions);
  const root = converter.convert(doc.contents as Node, 0);
  return converter.error ? { error: converter.error } : { root };
}

function firstDocument(text: string): Document.Parsed | undefined {
  const docs = parseAllDocuments(text, {
    schema: "failsafe",
    // Tags such as !!binary stay text here: the decoder resolves them once, as go-yaml does.
    resolveKnownTags: false,
    uniqueKeys: false,
    strict: false,
    prettyErrors: false,
  });
  return Array.isArray(docs) ? docs[0] : undefined;
}

/**
 * The text with the line breaks of the quoted scalar the `yaml` package left unclosed turned
 * into blanks, when libyaml would close it: its opening quote is the last one before the error
 * that starts a value, and a closing quote follows. Undefined when there is none to join.
 */
function joinQuotedLines(text: string, error: YAMLError): string | undefined {
  const quote = /^Missing closing "/.test(error.message) ? '"' : "'";
  let open = -1;
  for (let i = Math.min(error.pos[0], text.length - 1); i >= 0; i--) {
    if (text[i] !== quote) continue;
    let j = i - 1;
    while (j >= 0 && (text[j] === " " || text[j] === "\t")) j--;
    if (j < 0 || "\n\r:-[{,?".includes(text[j] ?? "")) {
      open = i;
      break;
    }
  }
  if (open < 0) return undefined;
  let close = -1;
  for (let i = open + 1; i < text.length; i++) {
    const c = text[i];
    if (quote === '"' && c === "\\") i++;
    else if (quote === "'" && c === "'" && text[i + 1] === "'") i++;
    else if (c === quote) {
      close = i;
      break;
    }
  }
  if (close < 0) return undefined;
  const inside = text.slice(open, close);
  // A document marker at the start of one of its lines ends the stream's document for libyaml too.
  if (!/[\r\n]/.test(inside) || /[\r\n](---|\.\.\.)([\s]|$)/.test(inside)) return undefined;
  return text.slice(0, open) + inside.replace(/[\r\n]/g, " ") + text.slice(close);
}

function emptyRoot(text: string, positions: PositionIndex): YamlNode {
  return new Converter(text, positions).convert(new Scalar(null), 0);
}
