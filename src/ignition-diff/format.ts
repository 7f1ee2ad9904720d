import {
  CATEGORY_TITLES,
  type CategoryDiff,
  type ContentChange,
  type EntryChange,
  type FieldChange,
  IGNITION_DIFF_CATEGORIES,
  type IgnitionDiff,
  isEmptyIgnitionDiff,
} from "./diff.js";
import { hunkHeader } from "./text-diff.js";

export interface FormatOptions {
  /** ANSI colours (the CLI decides from the terminal); default false. */
  readonly color?: boolean;
  /** Cut lines longer than this many columns with `…`; default: no limit. */
  readonly width?: number;
  /** Spaces in front of every line (the plan prints this under its node); default 0. */
  readonly indent?: number;
  /** Diff lines shown per file, unit or drop-in before `… N more lines`; default 40. */
  readonly maxLinesPerFile?: number;
}

export const DEFAULT_MAX_LINES_PER_FILE = 40;

type Style = "added" | "removed" | "changed" | "hunk" | "header" | "title" | "dim";

const ANSI: Readonly<Record<Style, string>> = {
  added: "\u001b[32m",
  removed: "\u001b[31m",
  changed: "\u001b[33m",
  hunk: "\u001b[36m",
  header: "\u001b[1m",
  title: "\u001b[1m",
  dim: "\u001b[2m",
};
const RESET = "\u001b[0m";

/**
 * The human text of an Ignition diff, as `homelab plan` shows it under a replaced node: per
 * category a summary line (`files: 1 added, 2 changed`), then each entry with `+`, `-` or `~`,
 * its field changes (`mode: 0644 → 0600`) and a unified diff of its text, cut after
 * `maxLinesPerFile` lines. Lines are joined with "\n", without a final one.
 */
export function formatIgnitionDiff(diff: IgnitionDiff, options: FormatOptions = {}): string {
  const writer = new Writer(options);
  if (isEmptyIgnitionDiff(diff)) {
    writer.line(0, "no Ignition change", "dim");
    return writer.text();
  }
  for (const category of IGNITION_DIFF_CATEGORIES) {
    const entries = diff[category];
    const counts = categoryCounts(entries);
    if (counts === undefined) continue;
    writer.line(0, `${CATEGORY_TITLES[category]}: ${counts}`, "title");
    for (const entry of entries.added) formatAdded(writer, entry);
    for (const entry of entries.changed) formatChanged(writer, entry);
    for (const entry of entries.removed) writer.line(1, `- ${entry.key}${originNote(entry)}`, "removed");
  }
  return writer.text();
}

/** `1 added, 2 changed, 1 removed`, or undefined for an unchanged category. */
export function categoryCounts(category: CategoryDiff): string | undefined {
  const parts = [
    category.added.length > 0 ? `${category.added.length} added` : "",
    category.changed.length > 0 ? `${category.changed.length} changed` : "",
    category.removed.length > 0 ? `${category.removed.length} removed` : "",
  ].filter((part) => part !== "");
  return parts.length === 0 ? undefined : parts.join(", ");
}

function originNote(entry: EntryChange): string {
  return entry.origin === "main" ? "" : ` (from ${entry.origin})`;
}

function formatAdded(writer: Writer, entry: EntryChange): void {
  const attributes = entry.fields
    .filter((field) => field.after !== undefined)
    .map((field) =>
      field.field === "value" || field.field === "state" ? field.after : `${field.field} ${field.after}`,
    );
  if (entry.origin !== "main") attributes.push(`from ${entry.origin}`);
  writer.line(1, `+ ${entry.key}${attributes.length > 0 ? ` (${attributes.join(", ")})` : ""}`, "added");
  for (const list of entry.lists) for (const value of list.added) writer.line(3, `${list.field} ${value}`);
  for (const content of entry.contents) formatContent(writer, content, true);
}

function formatChanged(writer: Writer, entry: EntryChange): void {
  const hints: string[] = [];
  for (const content of entry.contents) {
    if (
      content.kind === "text" &&
      content.changedKeys &&
      content.changedKeys.length > 0 &&
      content.label === "contents"
    ) {
      hints.push(`changed: ${content.changedKeys.join(", ")}`);
    }
    if (content.kind === "text" && content.secretChanged) hints.push("secret changed");
  }
  if (entry.origin !== "main" && !entry.fields.some((field) => field.field === "origin")) {
    hints.push(`from ${entry.origin}`);
  }
  writer.line(1, `~ ${entry.key}${hints.length > 0 ? ` (${hints.join("; ")})` : ""}`, "changed");
  for (const field of entry.fields) writer.line(3, fieldText(field));
  for (const list of entry.lists) {
    for (const value of list.added) writer.line(3, `+ ${list.field} ${value}`, "added");
    for (const value of list.removed) writer.line(3, `- ${list.field} ${value}`, "removed");
  }
  for (const content of entry.contents) formatContent(writer, content, false);
}

/** `sha256-<64 hex>` as `sha256-<12 hex>…`: enough to tell two apart. */
function shortHash(value: string): string {
  return value.replace(/\b(sha(?:256|512)-[0-9a-f]{12})[0-9a-f]{20,}\b/g, "$1…");
}

export function fieldText(field: FieldChange): string {
  const show = (value: string | undefined) => (value === undefined ? "unset" : shortHash(value));
  if (field.secret && field.before !== undefined && field.after !== undefined) {
    return `${field.field}: secret changed`;
  }
  return `${field.field}: ${show(field.before)} → ${show(field.after)}`;
}

function formatContent(writer: Writer, content: ContentChange, entryAdded: boolean): void {
  const standalone = content.label !== "contents" && content.label !== "unit";
  if (content.kind === "secret") {
    const what = standalone ? `${content.label} ` : "contents ";
    writer.line(
      3,
      `${what}${content.status === "changed" ? "secret changed" : `(secret) ${content.status}`}`,
    );
    return;
  }
  if (content.kind === "binary") {
    const blob = (info: { bytes: number; sha256: string } | undefined) =>
      info === undefined ? "none" : `${info.bytes} bytes, sha256 ${info.sha256.slice(0, 12)}…`;
    const what = standalone ? content.label : "contents";
    if (content.status === "changed") {
      const { before, after } = content;
      writer.line(
        3,
        `${what}: binary, ${before?.bytes ?? 0} bytes → ${after?.bytes ?? 0} bytes, sha256 ${before?.sha256.slice(0, 12) ?? "none"}… → ${after?.sha256.slice(0, 12) ?? "none"}…`,
      );
    } else {
      writer.line(3, `${what}: binary, ${blob(content.after ?? content.before)} ${content.status}`);
    }
    return;
  }
  const { diff } = content;
  if (content.status === "removed") {
    if (standalone && !entryAdded)
      writer.line(3, `${content.label} removed (${diff.removed} lines)`, "removed");
    return;
  }
  if (content.status === "added") {
    // A drop-in or fragment added to an entry that was there: its own heading, its lines below.
    const nested = standalone && !entryAdded;
    if (nested) writer.line(3, `${content.label} added:`, "added");
    const body: [string, Style][] = [];
    for (const hunk of diff.hunks) {
      for (const line of hunk.lines) {
        body.push([`+${line.text}`, "added"]);
        if (line.noNewline) body.push(["\\ No newline at end of file", "dim"]);
      }
    }
    writer.limited(nested ? 4 : 3, body);
    return;
  }
  writer.line(3, `--- ${diff.beforeLabel}`, "header");
  writer.line(3, `+++ ${diff.afterLabel}`, "header");
  const body: [string, Style | undefined][] = [];
  for (const hunk of diff.hunks) {
    body.push([hunkHeader(hunk), "hunk"]);
    for (const line of hunk.lines) {
      body.push([
        `${line.op}${line.text}`,
        line.op === "+" ? "added" : line.op === "-" ? "removed" : undefined,
      ]);
      if (line.noNewline) body.push(["\\ No newline at end of file", "dim"]);
    }
  }
  writer.limited(3, body);
}

/**
 * Control characters, bidi overrides and invisible marks as escapes: file contents can neither
 * drive the terminal nor hide a difference.
 */
function printable(text: string): string {
  return text.replace(
    // biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters to escape
    /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g,
    (char) => `\\u{${char.codePointAt(0)!.toString(16)}}`,
  );
}

class Writer {
  private readonly lines: string[] = [];
  private readonly indent: string;
  private readonly maxLines: number;

  constructor(private readonly options: FormatOptions) {
    this.indent = " ".repeat(options.indent ?? 0);
    this.maxLines = options.maxLinesPerFile ?? DEFAULT_MAX_LINES_PER_FILE;
  }

  line(depth: number, text: string, style?: Style): void {
    let body = `${this.indent}${"  ".repeat(depth)}${printable(text)}`;
    const width = this.options.width;
    if (width !== undefined && [...body].length > width)
      body = `${[...body].slice(0, Math.max(1, width - 1)).join("")}…`;
    this.lines.push(this.options.color && style ? `${ANSI[style]}${body}${RESET}` : body);
  }

  /** Lines of one diff body, cut after `maxLinesPerFile`. */
  limited(depth: number, body: readonly (readonly [string, Style | undefined])[]): void {
    const shown = body.length > this.maxLines ? body.slice(0, this.maxLines) : body;
    for (const [text, style] of shown) this.line(depth, text, style);
    if (body.length > shown.length) this.line(depth, `… ${body.length - shown.length} more lines`, "dim");
  }

  text(): string {
    return this.lines.join("\n");
  }
}
