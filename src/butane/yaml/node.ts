/**
 * A YAML node as go-yaml v3 (`yaml.Node`) models it. The reference decodes Butane configs
 * from this tree, so positions and tags follow go-yaml's conventions: `line`/`column` are
 * 1-based, a block mapping starts at its first key, an empty value sits just after its `:`.
 */
export type YamlKind = "mapping" | "sequence" | "scalar" | "alias";

export type ScalarStyle = "plain" | "double" | "single" | "literal" | "folded";

export interface YamlNode {
  readonly kind: YamlKind;
  /** Short tag: `!!str`, `!!int`, `!!map`, ... (explicit or resolved, as go-yaml sets it). */
  readonly tag: string;
  /** Whether the tag was written in the source (go-yaml's TaggedStyle). */
  readonly explicitTag: boolean;
  /** Scalar text, or the anchor name of an alias. */
  readonly value: string;
  readonly style: ScalarStyle | "block" | "flow";
  readonly line: number;
  readonly column: number;
  /** Mapping: [key, value, key, value, ...]; sequence: items. */
  readonly content: YamlNode[];
  /** Target of an alias node. */
  alias?: YamlNode;
}

/** A YAML syntax error, with the line number go-yaml would name. */
export interface YamlSyntaxError {
  /** go-yaml's line; 0 when it names none (a reader error, or a mark on the first line). */
  readonly line: number;
  readonly message: string;
}

export interface YamlParseResult {
  /** The first document's root node; undefined for an empty document. */
  readonly root?: YamlNode;
  readonly error?: YamlSyntaxError;
}

export const STR_TAG = "!!str";
export const INT_TAG = "!!int";
export const FLOAT_TAG = "!!float";
export const BOOL_TAG = "!!bool";
export const NULL_TAG = "!!null";
export const MAP_TAG = "!!map";
export const SEQ_TAG = "!!seq";
export const TIMESTAMP_TAG = "!!timestamp";
export const BINARY_TAG = "!!binary";
export const MERGE_TAG = "!!merge";

/** Whether a scalar is a string by its style or tag, so it is never resolved (go-yaml `indicatedString`). */
export function isIndicatedString(node: YamlNode): boolean {
  if (node.kind !== "scalar") return false;
  if (node.tag === STR_TAG && node.explicitTag) return true;
  return !node.explicitTag && node.style !== "plain";
}

/** The tag go-yaml reports for a node (`ShortTag`): resolved for plain untagged scalars. */
export function isNullNode(node: YamlNode): boolean {
  return node.kind === "scalar" && node.tag === NULL_TAG;
}
