import type { PathElement } from "../diagnostics.js";
import type { IgnObject, IgnValue, JsonField, JsonStruct, JsonType } from "./schema.js";

/**
 * Ignition's config merge (`config/merge`, MergeStructTranscribe), which Butane uses to lay
 * generated parts (mount units, the boot-disk layout, GRUB's user.cfg) under the user's own
 * config: the child's value wins field by field, keyed lists are merged item by item, and a
 * transcript records where every non-zero value of the result came from.
 */
export type MergeSide = "parent" | "child";

export interface Mapping {
  readonly from: MergeSide;
  readonly fromPath: readonly PathElement[];
  readonly toPath: readonly PathElement[];
}

type Transcript = Mapping[];

const asObject = (v: IgnValue): IgnObject =>
  v !== undefined && typeof v === "object" && !Array.isArray(v) ? v : {};
const asList = (v: IgnValue): IgnValue[] => (Array.isArray(v) ? v : []);

/** Go's reflect IsZero for a field value: nil pointers and slices, zero scalars, zero structs. */
export function isZeroValue(value: IgnValue, type: JsonType, pointer: boolean): boolean {
  if (value === undefined) return true;
  if (pointer) return false;
  switch (type.kind) {
    case "string":
      return value === "";
    case "int":
      return value === 0;
    case "bool":
      return value === false;
    case "list":
      return false; // a non-nil slice, even an empty one, is not zero
    case "struct":
      return type.fields.every((f) => isZeroValue(asObject(value)[f.name], f.type, f.pointer));
  }
}

/** The Key() of a list item: a struct's own key function, or a string's value. */
function keyOf(item: IgnValue, type: JsonType): string {
  if (type.kind === "struct") return type.key?.(asObject(item)) ?? "";
  return typeof item === "string" ? item : String(item ?? "");
}

class Merger {
  readonly transcript: Transcript = [];

  one(from: MergeSide, fromPath: readonly PathElement[], toPath: readonly PathElement[]): void {
    this.transcript.push({ from, fromPath, toPath });
  }

  /** Records every non-zero value under `value` (merge.transcribe); true if any was. */
  transcribe(
    from: MergeSide,
    fromPath: PathElement[],
    toPath: PathElement[],
    value: IgnValue,
    type: JsonType,
    pointer: boolean,
  ): boolean {
    if (type.kind === "struct") {
      if (pointer && value === undefined) return false;
      const v = asObject(value);
      let any = false;
      for (const f of type.fields)
        any =
          this.transcribe(from, [...fromPath, f.name], [...toPath, f.name], v[f.name], f.type, f.pointer) ||
          any;
      if (any) this.one(from, fromPath, toPath);
      return any;
    }
    if (type.kind === "list") {
      let any = false;
      asList(value).forEach((item, i) => {
        any = this.transcribe(from, [...fromPath, i], [...toPath, i], item, type.of, false) || any;
      });
      if (any) this.one(from, fromPath, toPath);
      return any;
    }
    if (pointer ? value === undefined : isZeroValue(value, type, false)) return false;
    this.one(from, fromPath, toPath);
    return true;
  }

  struct(
    parent: IgnObject,
    parentPath: PathElement[],
    child: IgnObject,
    childPath: PathElement[],
    resultPath: PathElement[],
    type: JsonStruct,
  ): IgnObject {
    const result: IgnObject = {};
    const childIndex = new Map<string, { item: IgnValue; list: string; index: number }>();
    for (const f of type.fields) {
      if (f.type.kind !== "list" || f.ignoreDups) continue;
      const handle = f.dupGroup ?? f.name;
      const of = f.type.of;
      asList(child[f.name]).forEach((item, index) => {
        childIndex.set(`${handle}\u0000${keyOf(item, of)}`, { item, list: f.name, index });
      });
    }
    for (const f of type.fields) {
      const p = parent[f.name];
      const c = child[f.name];
      const pp = [...parentPath, f.name];
      const cp = [...childPath, f.name];
      const rp = [...resultPath, f.name];
      const value = this.field(f, p, pp, c, cp, rp, childIndex);
      if (value !== undefined) result[f.name] = value;
    }
    return result;
  }

  private field(
    f: JsonField,
    p: IgnValue,
    pp: PathElement[],
    c: IgnValue,
    cp: PathElement[],
    rp: PathElement[],
    childIndex: Map<string, { item: IgnValue; list: string; index: number }>,
  ): IgnValue {
    const type = f.type;
    if (type.kind === "list") return this.list(f, type.of, p, pp, c, cp, rp, childIndex);
    if (type.kind !== "struct" && !f.pointer) {
      this.transcribe("child", cp, rp, c, type, false);
      return c;
    }
    if (f.pointer) {
      if (type.kind === "struct" && p !== undefined && c !== undefined) {
        const merged = this.struct(asObject(p), pp, asObject(c), cp, rp, type);
        this.one("parent", pp, rp);
        this.one("child", cp, rp);
        return merged;
      }
      const side: MergeSide = c === undefined ? "parent" : "child";
      const v = c === undefined ? p : c;
      this.transcribe(side, side === "parent" ? pp : cp, rp, v, type, true);
      return v;
    }
    const struct = type as JsonStruct;
    if (isZeroValue(c, struct, false)) {
      this.transcribe("parent", pp, rp, p, struct, false);
      return p;
    }
    if (isZeroValue(p, struct, false)) {
      this.transcribe("child", cp, rp, c, struct, false);
      return c;
    }
    const merged = this.struct(asObject(p), pp, asObject(c), cp, rp, struct);
    this.one("parent", pp, rp);
    this.one("child", cp, rp);
    return merged;
  }

  private list(
    f: JsonField,
    of: JsonType,
    p: IgnValue,
    pp: PathElement[],
    c: IgnValue,
    cp: PathElement[],
    rp: PathElement[],
    childIndex: Map<string, { item: IgnValue; list: string; index: number }>,
  ): IgnValue {
    const parentItems = asList(p);
    const childItems = asList(c);
    if (parentItems.length + childItems.length === 0) return undefined;
    const result: IgnValue[] = [];
    if (f.ignoreDups) {
      parentItems.forEach((item, i) => {
        result.push(item);
        this.transcribe("parent", [...pp, i], [...rp, i], item, of, false);
      });
      childItems.forEach((item, i) => {
        result.push(item);
        this.transcribe("child", [...cp, i], [...rp, parentItems.length + i], item, of, false);
      });
      if (parentItems.length > 0) this.one("parent", pp, rp);
      if (childItems.length > 0) this.one("child", cp, rp);
      return result;
    }
    const handle = f.dupGroup ?? f.name;
    const parentKeys = new Set(parentItems.map((item) => keyOf(item, of)));
    let fromParent = false;
    let fromChild = false;
    parentItems.forEach((parentItem, i) => {
      const parentItemPath = [...pp, i];
      const resultItemPath = [...rp, result.length];
      const match = childIndex.get(`${handle}\u0000${keyOf(parentItem, of)}`);
      if (!match) {
        result.push(parentItem);
        this.transcribe("parent", parentItemPath, resultItemPath, parentItem, of, false);
        fromParent = true;
        return;
      }
      // Matched in another list sharing the key space: that list's loop appends it.
      if (match.list !== f.name) return;
      const childItemPath = [...cp, match.index];
      fromParent = true;
      fromChild = true;
      if (of.kind === "struct") {
        // A child HTTP header without a value removes the parent's header.
        if (f.name === "httpHeaders" && asObject(match.item).value === undefined) return;
        result.push(
          this.struct(
            asObject(parentItem),
            parentItemPath,
            asObject(match.item),
            childItemPath,
            resultItemPath,
            of,
          ),
        );
        this.one("parent", parentItemPath, resultItemPath);
        this.one("child", childItemPath, resultItemPath);
      } else {
        result.push(match.item);
        this.transcribe("child", childItemPath, resultItemPath, match.item, of, false);
      }
    });
    childItems.forEach((childItem, i) => {
      if (parentKeys.has(keyOf(childItem, of))) return;
      const resultItemPath = [...rp, result.length];
      result.push(childItem);
      this.transcribe("child", [...cp, i], resultItemPath, childItem, of, false);
      fromChild = true;
    });
    if (fromParent) this.one("parent", pp, rp);
    if (fromChild) this.one("child", cp, rp);
    return result;
  }
}

/** Merges `child` over `parent` (both of `type`) and returns the result with its transcript. */
export function mergeConfigs(
  parent: IgnObject,
  child: IgnObject,
  type: JsonStruct,
): { result: IgnObject; transcript: readonly Mapping[] } {
  const merger = new Merger();
  const result = merger.struct(parent, [], child, [], [], type);
  return { result, transcript: merger.transcript };
}
