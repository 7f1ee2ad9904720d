import { goTypeName, type StructSpec, type TypeSpec } from "../schema/types.js";
import {
  BINARY_TAG,
  BOOL_TAG,
  FLOAT_TAG,
  INT_TAG,
  isIndicatedString,
  MAP_TAG,
  NULL_TAG,
  SEQ_TAG,
  STR_TAG,
  type YamlNode,
} from "./node.js";
import { type Resolved, resolvePlain } from "./resolve.js";

/** A decoded Butane value: plain objects keyed by YAML key, arrays, strings, numbers, booleans. */
export type Decoded = string | number | boolean | DecodedStruct | Decoded[];
export interface DecodedStruct {
  [key: string]: Decoded | undefined;
  [RAW_BYTES]?: Record<string, Uint8Array>;
}

/**
 * Go strings are bytes; ours are Unicode. A `!!binary` scalar decoded into a string field keeps
 * its exact bytes here, keyed by field, for the one place bytes matter (file contents); the
 * string value itself is those bytes read as UTF-8, which is what Go's JSON encoder writes.
 */
const RAW_BYTES: unique symbol = Symbol("raw bytes of !!binary fields");

/** The exact bytes of a string field that came from a `!!binary` scalar, if it did. */
export function binaryBytesOf(struct: DecodedStruct, key: string): Uint8Array | undefined {
  return struct[RAW_BYTES]?.[key];
}

const INT64_MAX = 2 ** 63; // Go compares float64(MaxInt64), which rounds to 2^63
const TRUE_WORDS = new Set(["y", "Y", "yes", "Yes", "YES", "on", "On", "ON"]);
const FALSE_WORDS = new Set(["n", "N", "no", "No", "NO", "off", "Off", "OFF"]);

interface Outcome {
  readonly ok: boolean;
  readonly value?: Decoded;
  /** Set when `value` came from a `!!binary` scalar. */
  readonly bytes?: Uint8Array;
}

const FAILED: Outcome = { ok: false };

const PADDED_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Go's base64.StdEncoding.DecodeString: padding required, line breaks skipped, any other
 * character (a space included) refused; undefined where Go returns an error.
 */
function goBase64(text: string): Buffer | undefined {
  const compact = text.replace(/[\r\n]/g, "");
  return PADDED_BASE64.test(compact) ? Buffer.from(compact, "base64") : undefined;
}

/** A go-yaml failure that is not a type error (e.g. a recursive alias); ends decoding. */
export class YamlDecodeFailure extends Error {}

/**
 * Decodes a node tree into a typed value with go-yaml v3's rules: plain scalars resolved by
 * go-yaml's resolver, quoted ones always strings, duplicate mapping keys rejected, unknown
 * keys ignored (they are reported separately as unused), and type mismatches collected as
 * `line N: cannot unmarshal ...` messages in document order.
 */
export class GoYamlDecoder {
  readonly errors: string[] = [];
  private readonly activeAliases = new Set<YamlNode>();

  decodeStruct(node: YamlNode | undefined, spec: StructSpec): DecodedStruct {
    if (!node) return {};
    const out = this.unmarshal(node, spec, false);
    return out.ok && out.value !== undefined && typeof out.value === "object" && !Array.isArray(out.value)
      ? out.value
      : {};
  }

  unmarshal(node: YamlNode, type: TypeSpec, pointer: boolean): Outcome {
    if (node.kind === "alias") {
      if (!node.alias) throw new YamlDecodeFailure(`unknown anchor '${node.value}' referenced`);
      if (this.activeAliases.has(node))
        throw new YamlDecodeFailure(`anchor '${node.value}' value contains itself`);
      this.activeAliases.add(node);
      try {
        return this.unmarshal(node.alias, type, pointer);
      } finally {
        this.activeAliases.delete(node);
      }
    }
    if (node.kind === "scalar") return this.scalar(node, type, pointer);
    if (node.kind === "mapping") return this.mapping(node, type);
    return this.sequence(node, type);
  }

  private terror(node: YamlNode, tag: string, type: TypeSpec): Outcome {
    const shown = node.explicitTag || node.kind === "scalar" ? node.tag || tag : tag;
    let value = "";
    if (shown !== SEQ_TAG && shown !== MAP_TAG) {
      const bytes = Buffer.from(node.value, "utf8");
      value = bytes.length > 10 ? ` \`${bytes.subarray(0, 7).toString("utf8")}...\`` : ` \`${node.value}\``;
    }
    this.errors.push(`line ${node.line}: cannot unmarshal ${shown}${value} into ${goTypeName(type)}`);
    return FAILED;
  }

  private resolve(node: YamlNode): Resolved {
    if (isIndicatedString(node)) return { tag: STR_TAG, value: node.value };
    if (node.explicitTag) {
      if (node.tag === BINARY_TAG) return { tag: BINARY_TAG, value: node.value };
      const resolvable = [STR_TAG, BOOL_TAG, INT_TAG, FLOAT_TAG, NULL_TAG, "!!timestamp"].includes(node.tag);
      if (!resolvable) return { tag: node.tag, value: node.value };
      const r = resolvePlain(node.value);
      if (r.tag === node.tag) return r;
      if (node.tag === FLOAT_TAG && r.tag === INT_TAG && "value" in r)
        return { tag: FLOAT_TAG, value: Number(r.value) };
      throw new YamlDecodeFailure(`cannot decode ${r.tag} \`${node.value}\` as a ${node.tag}`);
    }
    return resolvePlain(node.value);
  }

  private scalar(node: YamlNode, type: TypeSpec, pointer: boolean): Outcome {
    const resolved = this.resolve(node);
    // go-yaml decodes a !!binary scalar before it looks at the target, and stops on bad base64.
    const binary = resolved.tag === BINARY_TAG ? goBase64(node.value) : undefined;
    if (resolved.tag === BINARY_TAG && !binary)
      throw new YamlDecodeFailure("!!binary value contains invalid base64 data");
    if (resolved.tag === NULL_TAG) {
      // go-yaml's d.null(): only pointers, slices and maps accept null (and become nil).
      return { ok: pointer || type.kind === "list" };
    }
    switch (type.kind) {
      case "string": {
        if (binary) return { ok: true, value: binary.toString("utf8"), bytes: binary };
        return { ok: true, value: node.value };
      }
      case "int": {
        if (resolved.tag === INT_TAG && "value" in resolved && typeof resolved.value === "bigint") {
          const v = resolved.value;
          if (v >= -(1n << 63n) && v <= (1n << 63n) - 1n) return { ok: true, value: Number(v) };
        } else if (resolved.tag === FLOAT_TAG && "value" in resolved && typeof resolved.value === "number") {
          const f = resolved.value;
          if (f <= INT64_MAX && f >= -INT64_MAX) return { ok: true, value: Math.trunc(f) };
        }
        return this.terror(node, resolved.tag, type);
      }
      case "bool": {
        if (resolved.tag === BOOL_TAG && "value" in resolved && typeof resolved.value === "boolean") {
          return { ok: true, value: resolved.value };
        }
        if ("value" in resolved && typeof resolved.value === "string" && resolved.tag !== "!!timestamp") {
          if (TRUE_WORDS.has(resolved.value)) return { ok: true, value: true };
          if (FALSE_WORDS.has(resolved.value)) return { ok: true, value: false };
        }
        return this.terror(node, resolved.tag, type);
      }
      default:
        return this.terror(node, resolved.tag, type);
    }
  }

  private sequence(node: YamlNode, type: TypeSpec): Outcome {
    if (type.kind !== "list") return this.terror(node, SEQ_TAG, type);
    const items: Decoded[] = [];
    for (const child of node.content) {
      const out = this.unmarshal(child, type.of, false);
      // go-yaml keeps only the elements that decoded successfully.
      if (out.ok) items.push(out.value ?? zeroOf(type.of));
    }
    return { ok: true, value: items };
  }

  private mapping(node: YamlNode, type: TypeSpec): Outcome {
    const before = this.errors.length;
    for (let i = 0; i < node.content.length; i += 2) {
      const ki = node.content[i];
      if (!ki) continue;
      for (let j = i + 2; j < node.content.length; j += 2) {
        const kj = node.content[j];
        if (kj && ki.kind === kj.kind && ki.value === kj.value) {
          this.errors.push(
            `line ${kj.line}: mapping key ${JSON.stringify(kj.value)} already defined at line ${ki.line}`,
          );
        }
      }
    }
    if (this.errors.length > before) return FAILED;
    if (type.kind !== "struct") return this.terror(node, MAP_TAG, type);
    const out: DecodedStruct = {};
    this.fillStruct(node, type, out, new Set());
    return { ok: true, value: out };
  }

  /** Fills `out` from a mapping; keys already set (by the mapping or a `<<` merge) are skipped. */
  private fillStruct(
    node: YamlNode,
    spec: StructSpec,
    out: DecodedStruct,
    merged: Set<string> | undefined,
  ): void {
    const done = new Set<string>();
    let mergeValue: YamlNode | undefined;
    for (let i = 0; i < node.content.length; i += 2) {
      const keyNode = node.content[i];
      const valueNode = node.content[i + 1];
      if (!keyNode || !valueNode) continue;
      if (isMergeKey(keyNode)) {
        mergeValue = valueNode;
        continue;
      }
      const key = this.unmarshal(keyNode, { kind: "string" }, false);
      if (!key.ok || typeof key.value !== "string") continue;
      if (merged?.has(key.value)) continue;
      merged?.add(key.value);
      const fieldSpec = spec.fields.find((f) => f.key === key.value);
      if (!fieldSpec) continue;
      if (done.has(fieldSpec.key)) {
        this.errors.push(`line ${keyNode.line}: field ${key.value} already set in type ${spec.goName}`);
        continue;
      }
      done.add(fieldSpec.key);
      const result = this.unmarshal(valueNode, fieldSpec.type, fieldSpec.pointer === true);
      if (result.value !== undefined) {
        out[fieldSpec.key] = result.value;
        if (result.bytes) out[RAW_BYTES] = { ...out[RAW_BYTES], [fieldSpec.key]: result.bytes };
      } else if (result.ok && !fieldSpec.pointer && fieldSpec.type.kind !== "list") {
        // null into a value field leaves it untouched
      } else if (result.ok) delete out[fieldSpec.key];
    }
    if (mergeValue) this.merge(mergeValue, spec, out, merged ?? new Set());
  }

  private merge(value: YamlNode, spec: StructSpec, out: DecodedStruct, merged: Set<string>): void {
    const target = value.kind === "alias" ? value.alias : value;
    const wantMap = () => new YamlDecodeFailure("map merge requires map or sequence of maps as the value");
    if (!target) throw wantMap();
    const sources = target.kind === "mapping" ? [target] : target.kind === "sequence" ? target.content : [];
    if (sources.length === 0 && target.kind !== "sequence") throw wantMap();
    for (const source of sources) {
      const map = source.kind === "alias" ? source.alias : source;
      if (map?.kind !== "mapping") throw wantMap();
      this.fillStruct(map, spec, out, merged);
    }
  }
}

function isMergeKey(node: YamlNode): boolean {
  return (
    node.kind === "scalar" &&
    node.value === "<<" &&
    node.style === "plain" &&
    (!node.explicitTag || node.tag === "!!merge")
  );
}

function zeroOf(type: TypeSpec): Decoded {
  switch (type.kind) {
    case "string":
      return "";
    case "int":
      return 0;
    case "bool":
      return false;
    case "list":
      return [];
    default:
      return {};
  }
}
