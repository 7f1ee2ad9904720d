import {
  type ContentChange,
  type EntryChange,
  IGNITION_DIFF_CATEGORIES,
  type IgnitionDiff,
  type IgnitionDiffCategory,
  isEmptyIgnitionDiff,
} from "./diff.js";
import { summarizeIgnitionDiff } from "./summary.js";
import { unifiedDiffText } from "./text-diff.js";

/**
 * The JSON form of an Ignition diff for `homelab plan --json`: plain values only (no Maps, no
 * undefined: an unset side is `null`), unified diffs as text, every category present.
 */
export interface IgnitionDiffJson {
  readonly empty: boolean;
  readonly summary: string;
  readonly categories: { readonly [C in IgnitionDiffCategory]: CategoryJson };
}

export interface CategoryJson {
  readonly added: readonly EntryJson[];
  readonly removed: readonly EntryJson[];
  readonly changed: readonly EntryJson[];
}

export interface EntryJson {
  readonly key: string;
  readonly origin: string;
  readonly fields: readonly {
    readonly field: string;
    readonly before: string | null;
    readonly after: string | null;
    readonly secret: boolean;
  }[];
  readonly lists: readonly {
    readonly field: string;
    readonly added: readonly string[];
    readonly removed: readonly string[];
  }[];
  readonly contents: readonly ContentJson[];
}

export type ContentJson =
  | {
      readonly kind: "text";
      readonly label: string;
      readonly status: string;
      readonly linesAdded: number;
      readonly linesRemoved: number;
      readonly secretChanged: boolean;
      readonly changedKeys: readonly string[] | null;
      /** `--- a/…`, `+++ b/…`, hunks; lines joined with "\n". */
      readonly unifiedDiff: string;
    }
  | {
      readonly kind: "binary";
      readonly label: string;
      readonly status: string;
      readonly before: { readonly bytes: number; readonly sha256: string } | null;
      readonly after: { readonly bytes: number; readonly sha256: string } | null;
    }
  | { readonly kind: "secret"; readonly label: string; readonly status: string };

export function toJson(diff: IgnitionDiff): IgnitionDiffJson {
  const categories: Partial<Record<IgnitionDiffCategory, CategoryJson>> = {};
  for (const category of IGNITION_DIFF_CATEGORIES) {
    categories[category] = {
      added: diff[category].added.map(entryJson),
      removed: diff[category].removed.map(entryJson),
      changed: diff[category].changed.map(entryJson),
    };
  }
  return {
    empty: isEmptyIgnitionDiff(diff),
    summary: summarizeIgnitionDiff(diff),
    categories: categories as Record<IgnitionDiffCategory, CategoryJson>,
  };
}

function entryJson(entry: EntryChange): EntryJson {
  return {
    key: entry.key,
    origin: entry.origin,
    fields: entry.fields.map((field) => ({
      field: field.field,
      before: field.before ?? null,
      after: field.after ?? null,
      secret: field.secret === true,
    })),
    lists: entry.lists.map((list) => ({
      field: list.field,
      added: [...list.added],
      removed: [...list.removed],
    })),
    contents: entry.contents.map(contentJson),
  };
}

function contentJson(content: ContentChange): ContentJson {
  switch (content.kind) {
    case "text":
      return {
        kind: "text",
        label: content.label,
        status: content.status,
        linesAdded: content.diff.added,
        linesRemoved: content.diff.removed,
        secretChanged: content.secretChanged,
        changedKeys: content.changedKeys ? [...content.changedKeys] : null,
        unifiedDiff: unifiedDiffText(content.diff).join("\n"),
      };
    case "binary":
      return {
        kind: "binary",
        label: content.label,
        status: content.status,
        before: content.before ?? null,
        after: content.after ?? null,
      };
    case "secret":
      return { kind: "secret", label: content.label, status: content.status };
  }
}
