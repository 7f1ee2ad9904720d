import type { TextDiff } from "./text-diff.js";

/**
 * The structured difference between two decoded Ignition configs (`diffIgnition`). Every string
 * in it is already masked: it can be printed or serialized as it is.
 */

/** A metadata field that differs: `mode 0644 → 0600`. `undefined` is "unset" on that side. */
export interface FieldChange {
  readonly field: string;
  readonly before?: string;
  readonly after?: string;
  /** The values are secrets (a password hash, a LUKS key file): shown only as `«secret»`. */
  readonly secret?: true;
}

/** Values added to or removed from a list: SSH keys (shown by fingerprint), a user's groups, … */
export interface ListChange {
  readonly field: string;
  readonly added: readonly string[];
  readonly removed: readonly string[];
}

export type ContentStatus = "added" | "removed" | "changed";

export interface BlobInfo {
  readonly bytes: number;
  readonly sha256: string;
}

/** A difference in contents: of a file, an `append` fragment, a unit or a drop-in. */
export type ContentChange =
  | {
      readonly kind: "text";
      /** `contents`, `append 2`, `unit`, `drop-in 10-limits.conf`. */
      readonly label: string;
      readonly status: ContentStatus;
      readonly diff: TextDiff;
      /** A masked secret in the text differs (neither value is shown). */
      readonly secretChanged: boolean;
      /** Settings that differ (YAML keys, `Kind/name` of manifests, env keys, `Section.Key`), when known. */
      readonly changedKeys?: readonly string[];
    }
  | {
      /** Not valid UTF-8, or holds a NUL byte: sizes and hashes only. */
      readonly kind: "binary";
      readonly label: string;
      readonly status: ContentStatus;
      readonly before?: BlobInfo;
      readonly after?: BlobInfo;
    }
  | {
      /** A file that is secret as a whole (e.g. /etc/rancher/node/password): nothing but the fact. */
      readonly kind: "secret";
      readonly label: string;
      readonly status: ContentStatus;
    };

/** One file, unit, user, … that was added, removed or changed. */
export interface EntryChange {
  /** Path (files, directories, links), name (units, users, groups), argument, storage key, … */
  readonly key: string;
  /** The config it comes from (`main`, `merged config 1`, …): the new side's, or the old one's if removed. */
  readonly origin: string;
  readonly fields: readonly FieldChange[];
  readonly lists: readonly ListChange[];
  readonly contents: readonly ContentChange[];
}

export interface CategoryDiff {
  readonly added: readonly EntryChange[];
  readonly removed: readonly EntryChange[];
  readonly changed: readonly EntryChange[];
}

/** The categories, in the order they are shown. */
export const IGNITION_DIFF_CATEGORIES = [
  "files",
  "directories",
  "links",
  "units",
  "users",
  "groups",
  "kernelArguments",
  "storage",
  "configs",
  "settings",
] as const;

export type IgnitionDiffCategory = (typeof IGNITION_DIFF_CATEGORIES)[number];

/** How each category is named in text ("kernel arguments: 1 added"). */
export const CATEGORY_TITLES: Readonly<Record<IgnitionDiffCategory, string>> = {
  files: "files",
  directories: "directories",
  links: "links",
  units: "units",
  users: "users",
  groups: "groups",
  kernelArguments: "kernel arguments",
  storage: "storage",
  configs: "remote configs",
  settings: "ignition settings",
};

export type IgnitionDiff = { readonly [C in IgnitionDiffCategory]: CategoryDiff };

export function isEmptyIgnitionDiff(diff: IgnitionDiff): boolean {
  return IGNITION_DIFF_CATEGORIES.every((category) => {
    const { added, removed, changed } = diff[category];
    return added.length + removed.length + changed.length === 0;
  });
}
