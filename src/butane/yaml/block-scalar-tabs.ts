import { CST, Lexer } from "yaml";

/**
 * libyaml refuses a tab where it is still reading a block scalar's indentation: on any line
 * before the first content line when the indentation is auto-detected, and on later lines
 * whose spaces stop short of the indentation (the line that ends the scalar included). The
 * `yaml` package takes such a tab as content, so the scalar's lines are replayed here.
 */
export interface BlockScalarTab {
  /** Where libyaml's scanner stops: the tab. */
  readonly offset: number;
  /** The block scalar indicator's offset (libyaml's context mark). */
  readonly header: number;
}

/** Lexer tokens that mark structure but are not source text. */
const MARKERS = new Set(["doc-mode", "flow-error-end", "scalar"]);

/**
 * libyaml's current indentation at a block scalar header: the column of the key it is the
 * value of, or of the `-` it follows; undefined when the header stands alone on its line.
 */
function parentIndent(text: string, header: number): number | undefined {
  const lineStart = text.lastIndexOf("\n", header - 1) + 1;
  const prefix = text.slice(lineStart, header);
  const lead = /^[ ]*(?:-[ ]+)*/.exec(prefix)?.[0] ?? "";
  if (lead.length < prefix.length) return lead.length;
  const dash = lead.lastIndexOf("-");
  return dash >= 0 ? dash : undefined;
}

function lineBreakLength(text: string, i: number): number {
  if (text[i] === "\r") return text[i + 1] === "\n" ? 2 : 1;
  return text[i] === "\n" ? 1 : 0;
}

/** Replays one block scalar from its header; returns the offending tab's offset, if any. */
function tabInIndentation(text: string, header: number, indicator: string): number | undefined {
  const parent = parentIndent(text, header);
  if (parent === undefined) return undefined;
  const headerEnd = text.indexOf("\n", header);
  if (headerEnd < 0) return undefined;
  const digit = /[1-9]/.exec(indicator)?.[0];
  let indent = digit ? parent + Number(digit) : 0;
  let pos = headerEnd + 1;
  let column = 0;
  let maxIndent = 0;
  // Lines up to the first content line.
  for (;;) {
    column = 0;
    while ((indent === 0 || column < indent) && text[pos] === " ") {
      pos++;
      column++;
    }
    if (column > maxIndent) maxIndent = column;
    if ((indent === 0 || column < indent) && text[pos] === "\t") return pos;
    const br = lineBreakLength(text, pos);
    if (br === 0) break;
    pos += br;
  }
  if (indent === 0) indent = Math.max(maxIndent, parent + 1, 1);
  while (column === indent && pos < text.length) {
    while (pos < text.length && lineBreakLength(text, pos) === 0) pos++;
    if (pos >= text.length) return undefined;
    pos += lineBreakLength(text, pos);
    for (;;) {
      column = 0;
      while (column < indent && text[pos] === " ") {
        pos++;
        column++;
      }
      if (column < indent && text[pos] === "\t") return pos;
      const br = lineBreakLength(text, pos);
      if (br === 0) break;
      pos += br;
    }
  }
  return undefined;
}

/** The first block scalar of the first document with a tab in its indentation. */
export function blockScalarTab(text: string): BlockScalarTab | undefined {
  let offset = 0;
  let content = false;
  for (const token of new Lexer().lex(text)) {
    const type = CST.tokenType(token) ?? undefined;
    if (type !== undefined && MARKERS.has(type)) continue;
    if (type === "doc-end" || (type === "doc-start" && content)) return undefined;
    if (type === "block-scalar-header") {
      const tab = tabInIndentation(text, offset, token);
      if (tab !== undefined) return { offset: tab, header: offset };
    }
    if (type !== "space" && type !== "newline" && type !== "comment" && type !== "doc-start") content = true;
    offset += token.length;
  }
  return undefined;
}
