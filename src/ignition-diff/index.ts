/**
 * What differs between two Ignition configs, secrets masked: the answer to "why is this node
 * replaced?" in `homelab plan`. Pure: decode (text → normalized view), compare (two views →
 * structured diff), format (human text, one-line summary, JSON).
 *
 *   const before = decodeIgnition(applied); const after = decodeIgnition(rendered);
 *   if (before.ok && after.ok) {
 *     const diff = diffIgnition(before.config, after.config, { secrets: [token, ...] });
 *     summarizeIgnitionDiff(diff); formatIgnitionDiff(diff, { indent: 4 }); toJson(diff);
 *   }
 */
export { diffIgnition, type IgnitionDiffOptions } from "./compare.js";
export {
  decodeIgnition,
  type IgnitionDecodeResult,
  MAX_MERGE_DEPTH,
  SUPPORTED_IGNITION_VERSIONS,
} from "./decode.js";
export type {
  DecodedIgnition,
  IgnitionConfigReference,
  IgnitionContents,
  IgnitionDirectory,
  IgnitionDropin,
  IgnitionFile,
  IgnitionGroup,
  IgnitionLink,
  IgnitionOrigin,
  IgnitionOwner,
  IgnitionStorageEntry,
  IgnitionUnit,
  IgnitionUser,
} from "./decoded.js";
export {
  type BlobInfo,
  CATEGORY_TITLES,
  type CategoryDiff,
  type ContentChange,
  type ContentStatus,
  type EntryChange,
  type FieldChange,
  IGNITION_DIFF_CATEGORIES,
  type IgnitionDiff,
  type IgnitionDiffCategory,
  isEmptyIgnitionDiff,
  type ListChange,
} from "./diff.js";
export { DEFAULT_MAX_LINES_PER_FILE, type FormatOptions, formatIgnitionDiff } from "./format.js";
export {
  type CategoryJson,
  type ContentJson,
  type EntryJson,
  type IgnitionDiffJson,
  toJson,
} from "./json.js";
export { CHANGED_SECRET_MASK, SECRET_MASK } from "./mask.js";
export type { IgnitionDecodeError, IgnitionDecodeErrorKind } from "./read.js";
export { summarizeIgnitionDiff } from "./summary.js";
export type { DiffHunk, DiffLine, TextDiff } from "./text-diff.js";
