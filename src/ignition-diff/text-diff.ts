import { diffArrays } from "diff";
import { CHANGED_SECRET_MASK, type MaskedLine, SECRET_MASK } from "./mask.js";

/**
 * Unified diffs of masked lines: jsdiff's Myers diff (`diffArrays`) on the lines' original text,
 * hunks with 3 lines of context as `diff -u` makes them, and the masked text shown. Lines are
 * compared on what they really hold, so a changed secret is a changed line although both sides
 * show `«secret»`; the added side then says `«secret changed»`.
 */

export const DIFF_CONTEXT_LINES = 3;

/**
 * Past this many inserted plus deleted lines, Myers' O(ND) search stops and the file is shown as
 * replaced whole: such a diff says no more than "rewritten", and stays fast.
 */
const MAX_EDIT_LENGTH = 2000;

export interface DiffLine {
  readonly op: " " | "-" | "+";
  readonly text: string;
  /** The line is the last one and has no line break (`\ No newline at end of file`). */
  readonly noNewline?: true;
}

export interface DiffHunk {
  /** 1-based first line on each side (0 when that side has no lines), as in `@@ -a,b +c,d @@`. */
  readonly beforeStart: number;
  readonly beforeLines: number;
  readonly afterStart: number;
  readonly afterLines: number;
  readonly lines: readonly DiffLine[];
}

export interface TextDiff {
  /** `a/etc/hostname` or `/dev/null` for a file that is added. */
  readonly beforeLabel: string;
  /** `b/etc/hostname` or `/dev/null` for a file that is removed. */
  readonly afterLabel: string;
  readonly hunks: readonly DiffHunk[];
  /** Lines added and removed (shown lines; a masked multi-line secret counts once). */
  readonly added: number;
  readonly removed: number;
}

type Op = { readonly op: " " | "-" | "+"; readonly before: number; readonly after: number };

/**
 * The edit script from `before` to `after`, as indexes into both. Common prefix and suffix are
 * cut first; then lines that occur on one side only are set aside before Myers runs, since no
 * longest common subsequence can use them: a file rewritten whole (a new CA bundle) costs
 * nothing, and the result is the same minimal diff.
 */
function editScript(before: readonly MaskedLine[], after: readonly MaskedLine[]): Op[] {
  let prefix = 0;
  while (prefix < before.length && prefix < after.length && before[prefix]!.key === after[prefix]!.key)
    prefix++;
  let suffix = 0;
  while (
    suffix < before.length - prefix &&
    suffix < after.length - prefix &&
    before[before.length - 1 - suffix]!.key === after[after.length - 1 - suffix]!.key
  )
    suffix++;
  const middleBefore = before.slice(prefix, before.length - suffix).map((line) => line.key);
  const middleAfter = after.slice(prefix, after.length - suffix).map((line) => line.key);

  const inBefore = new Set(middleBefore);
  const inAfter = new Set(middleAfter);
  const sharedBefore = middleBefore.flatMap((key, index) => (inAfter.has(key) ? [index] : []));
  const sharedAfter = middleAfter.flatMap((key, index) => (inBefore.has(key) ? [index] : []));
  // Pairs of equal lines (indexes into the middles), in order.
  const matches: [number, number][] = [];
  if (sharedBefore.length > 0 && sharedAfter.length > 0) {
    const changes = diffArrays(
      sharedBefore.map((index) => middleBefore[index]!),
      sharedAfter.map((index) => middleAfter[index]!),
      { maxEditLength: MAX_EDIT_LENGTH },
    );
    let b = 0;
    let a = 0;
    for (const change of changes ?? []) {
      if (change.removed) b += change.count;
      else if (change.added) a += change.count;
      else for (let i = 0; i < change.count; i++) matches.push([sharedBefore[b++]!, sharedAfter[a++]!]);
    }
  }

  const ops: Op[] = [];
  for (let i = 0; i < prefix; i++) ops.push({ op: " ", before: i, after: i });
  let b = 0;
  let a = 0;
  const emitUntil = (nextBefore: number, nextAfter: number) => {
    for (; b < nextBefore; b++) ops.push({ op: "-", before: prefix + b, after: prefix + a });
    for (; a < nextAfter; a++) ops.push({ op: "+", before: prefix + b, after: prefix + a });
  };
  for (const [matchBefore, matchAfter] of matches) {
    emitUntil(matchBefore, matchAfter);
    ops.push({ op: " ", before: prefix + b++, after: prefix + a++ });
  }
  emitUntil(middleBefore.length, middleAfter.length);
  for (let i = 0; i < suffix; i++) ops.push({ op: " ", before: prefix + b + i, after: prefix + a + i });
  return ops;
}

/** Original line number (1-based) at which each masked line starts. */
function lineNumbers(lines: readonly MaskedLine[]): number[] {
  const out: number[] = [];
  let next = 1;
  for (const line of lines) {
    out.push(next);
    next += line.lines;
  }
  out.push(next);
  return out;
}

/** The added line with `«secret changed»` where its secret differs from the removed line it replaces. */
function markChangedSecrets(added: MaskedLine, removed: MaskedLine | undefined): string {
  if (added.secrets.length === 0) return added.shown;
  let index = 0;
  return added.shown.replaceAll(SECRET_MASK, () => {
    const previous = removed?.secrets[index];
    const current = added.secrets[index];
    index++;
    return previous !== undefined && previous !== current ? CHANGED_SECRET_MASK : SECRET_MASK;
  });
}

/** A unified diff, or undefined when both sides are the same text. */
export function unifiedDiff(
  labels: { readonly before: string; readonly after: string },
  before: readonly MaskedLine[],
  after: readonly MaskedLine[],
  context = DIFF_CONTEXT_LINES,
): TextDiff | undefined {
  const ops = editScript(before, after);
  if (ops.every((op) => op.op === " ")) return undefined;
  const beforeNumbers = lineNumbers(before);
  const afterNumbers = lineNumbers(after);

  // Pair each run of removed lines with the added lines that follow it, for secret marking.
  const replaced = new Map<number, MaskedLine>();
  for (let i = 0; i < ops.length; ) {
    if (ops[i]!.op !== "-") {
      i++;
      continue;
    }
    const removedStart = i;
    while (i < ops.length && ops[i]!.op === "-") i++;
    const addedStart = i;
    while (i < ops.length && ops[i]!.op === "+") i++;
    for (let k = 0; k < i - addedStart && removedStart + k < addedStart; k++) {
      replaced.set(addedStart + k, before[ops[removedStart + k]!.before]!);
    }
  }

  const hunks: DiffHunk[] = [];
  let added = 0;
  let removed = 0;
  let i = 0;
  while (i < ops.length) {
    if (ops[i]!.op === " ") {
      i++;
      continue;
    }
    // A hunk: from `context` lines before this change to `context` lines after the last change
    // that is no more than 2 × context unchanged lines from the previous one.
    const start = Math.max(0, i - context);
    let end = i;
    let lastChange = i;
    while (end < ops.length) {
      if (ops[end]!.op !== " ") lastChange = end;
      else if (end - lastChange > 2 * context) break;
      end++;
    }
    end = Math.min(ops.length, lastChange + context + 1);
    const lines: DiffLine[] = [];
    let beforeCount = 0;
    let afterCount = 0;
    for (let k = start; k < end; k++) {
      const op = ops[k]!;
      if (op.op === "+") {
        const line = after[op.after]!;
        lines.push({ op: "+", text: markChangedSecrets(line, replaced.get(k)), ...noNewline(line) });
        afterCount += line.lines;
        added++;
      } else {
        const line = before[op.before]!;
        lines.push({ op: op.op, text: line.shown, ...noNewline(line) });
        beforeCount += line.lines;
        if (op.op === " ") afterCount += line.lines;
        else removed++;
      }
    }
    const first = ops[start]!;
    hunks.push({
      beforeStart: beforeCount === 0 ? beforeNumbers[first.before]! - 1 : beforeNumbers[first.before]!,
      beforeLines: beforeCount,
      afterStart: afterCount === 0 ? afterNumbers[first.after]! - 1 : afterNumbers[first.after]!,
      afterLines: afterCount,
      lines,
    });
    i = end;
  }
  return { beforeLabel: labels.before, afterLabel: labels.after, hunks, added, removed };
}

function noNewline(line: MaskedLine): { noNewline?: true } {
  return line.noNewline ? { noNewline: true } : {};
}

/** The diff as `diff -u` prints it (headers, hunk headers, lines). */
export function unifiedDiffText(diff: TextDiff): string[] {
  const out = [`--- ${diff.beforeLabel}`, `+++ ${diff.afterLabel}`];
  for (const hunk of diff.hunks) {
    out.push(hunkHeader(hunk));
    for (const line of hunk.lines) {
      out.push(`${line.op}${line.text}`);
      if (line.noNewline) out.push("\\ No newline at end of file");
    }
  }
  return out;
}

export function hunkHeader(hunk: DiffHunk): string {
  const range = (start: number, count: number) => (count === 1 ? `${start}` : `${start},${count}`);
  return `@@ -${range(hunk.beforeStart, hunk.beforeLines)} +${range(hunk.afterStart, hunk.afterLines)} @@`;
}
