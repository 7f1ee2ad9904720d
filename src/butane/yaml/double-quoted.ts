/**
 * Quoted scalars the way libyaml (and so go-yaml v3) reads them. Its escape set is YAML
 * 1.1's: it has `\'` (which the `yaml` package refuses) and lacks YAML 1.2's `\/`, and it refuses
 * escapes that name a surrogate or a code point past U+10FFFF, which the `yaml` package lets
 * through. Folding is YAML's: a line break between text becomes a space, blank lines become
 * line breaks, and blanks around breaks are dropped, except after an escaped line break.
 */
export type DoubleQuoted =
  | { readonly value: string }
  | { readonly error: string /** Offset in `raw` of the offending escape. */; readonly at: number };

const SIMPLE_ESCAPES: Record<string, string> = {
  "0": "\0",
  a: "\x07",
  b: "\b",
  t: "\t",
  "\t": "\t",
  n: "\n",
  v: "\v",
  f: "\f",
  r: "\r",
  e: "\x1b",
  " ": " ",
  '"': '"',
  "'": "'",
  "\\": "\\",
  N: "\u0085",
  _: "\u00a0",
  L: "\u2028",
  P: "\u2029",
};
const HEX_LENGTH: Record<string, number> = { x: 2, u: 4, U: 8 };
const HEX = /^[0-9a-fA-F]+$/;

const isBlank = (c: string | undefined): boolean => c === " " || c === "\t";
const isBreak = (c: string | undefined): boolean => c === "\n" || c === "\r";

/** Length of the line break at `i` (CR LF counts as one break). */
function breakLength(raw: string, i: number): number {
  return raw[i] === "\r" && raw[i + 1] === "\n" ? 2 : 1;
}

/** Decodes `raw`, a double-quoted scalar's source from its opening to its closing quote. */
export function decodeDoubleQuoted(raw: string): DoubleQuoted {
  return decodeQuoted(raw, false);
}

/** Decodes a single-quoted scalar's source: `''` is a quote, folding as in double quotes. */
export function decodeSingleQuoted(raw: string): string {
  const decoded = decodeQuoted(raw, true);
  return "value" in decoded ? decoded.value : "";
}

function decodeQuoted(raw: string, single: boolean): DoubleQuoted {
  const end = raw.length - 1; // the closing quote
  let out = "";
  let i = 1;
  while (i < end) {
    let leadingBlanks = false;
    // Text up to the next blank or break.
    while (i < end && !isBlank(raw[i]) && !isBreak(raw[i])) {
      const c = raw[i] ?? "";
      if (single && c === "'") {
        out += "'";
        i += 2;
        continue;
      }
      if (single || c !== "\\") {
        const code = raw.codePointAt(i) ?? 0;
        const char = String.fromCodePoint(code);
        out += char;
        i += char.length;
        continue;
      }
      const next = raw[i + 1];
      if (isBreak(next)) {
        // An escaped line break joins the lines without a space.
        i += 1 + breakLength(raw, i + 1);
        leadingBlanks = true;
        break;
      }
      const simple = next === undefined ? undefined : SIMPLE_ESCAPES[next];
      if (simple !== undefined) {
        out += simple;
        i += 2;
        continue;
      }
      const length = next === undefined ? undefined : HEX_LENGTH[next];
      if (length === undefined) return { error: "found unknown escape character", at: i };
      const digits = raw.slice(i + 2, i + 2 + length);
      if (digits.length < length || !HEX.test(digits))
        return { error: "did not find expected hexdecimal number", at: i };
      const code = Number.parseInt(digits, 16);
      if ((code >= 0xd800 && code <= 0xdfff) || code > 0x10ffff)
        return { error: "found invalid Unicode character escape code", at: i };
      out += String.fromCodePoint(code);
      i += 2 + length;
    }
    if (i >= end) break;
    // Blanks and breaks, folded.
    let whitespace = "";
    let leadingBreak = "";
    let trailingBreaks = "";
    while (i < end && (isBlank(raw[i]) || isBreak(raw[i]))) {
      if (isBlank(raw[i])) {
        if (!leadingBlanks) whitespace += raw[i];
        i++;
      } else {
        if (!leadingBlanks) {
          whitespace = "";
          leadingBreak = "\n";
          leadingBlanks = true;
        } else trailingBreaks += "\n";
        i += breakLength(raw, i);
      }
    }
    if (!leadingBlanks) out += whitespace;
    else if (leadingBreak !== "") out += trailingBreaks === "" ? " " : trailingBreaks;
    else out += trailingBreaks;
  }
  return { value: out };
}
