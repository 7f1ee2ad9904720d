import { BOOL_TAG, FLOAT_TAG, INT_TAG, MERGE_TAG, NULL_TAG, STR_TAG, TIMESTAMP_TAG } from "./node.js";

/** A plain scalar typed the way go-yaml v3 `resolve()` types it. */
export type Resolved =
  | { readonly tag: typeof NULL_TAG }
  | { readonly tag: typeof BOOL_TAG; readonly value: boolean }
  | { readonly tag: typeof INT_TAG; readonly value: bigint }
  | { readonly tag: typeof FLOAT_TAG; readonly value: number }
  | { readonly tag: typeof TIMESTAMP_TAG; readonly value: string }
  | { readonly tag: typeof MERGE_TAG }
  | { readonly tag: string; readonly value: string };

const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);
const UINT64_MAX = (1n << 64n) - 1n;

const WORDS: Record<string, Resolved> = {};
for (const w of ["true", "True", "TRUE"]) WORDS[w] = { tag: BOOL_TAG, value: true };
for (const w of ["false", "False", "FALSE"]) WORDS[w] = { tag: BOOL_TAG, value: false };
for (const w of ["", "~", "null", "Null", "NULL"]) WORDS[w] = { tag: NULL_TAG };
for (const w of [".nan", ".NaN", ".NAN"]) WORDS[w] = { tag: FLOAT_TAG, value: Number.NaN };
for (const w of [".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"])
  WORDS[w] = { tag: FLOAT_TAG, value: Number.POSITIVE_INFINITY };
for (const w of ["-.inf", "-.Inf", "-.INF"]) WORDS[w] = { tag: FLOAT_TAG, value: Number.NEGATIVE_INFINITY };
WORDS["<<"] = { tag: MERGE_TAG };

const YAML_STYLE_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
const DIGITS: Record<number, RegExp> = { 2: /^[01]+$/, 8: /^[0-7]+$/, 10: /^[0-9]+$/, 16: /^[0-9a-fA-F]+$/ };

/** Go's strconv.ParseInt/ParseUint with base 0 (prefixes 0x, 0o, 0b, and a leading 0 for octal). */
export function parseGoInteger(text: string, signed: boolean): bigint | undefined {
  let s = text;
  let negative = false;
  if (signed && (s.startsWith("+") || s.startsWith("-"))) {
    negative = s.startsWith("-");
    s = s.slice(1);
  }
  let base = 10;
  if (s.length > 1 && s[0] === "0") {
    const p = s[1]?.toLowerCase();
    if (p === "x") base = 16;
    else if (p === "o") base = 8;
    else if (p === "b") base = 2;
    if (base !== 10) s = s.slice(2);
    else {
      base = 8;
      s = s.slice(1);
    }
  }
  const digits = DIGITS[base];
  if (s === "" || !digits?.test(s)) return undefined;
  const prefix = base === 16 ? "0x" : base === 8 ? "0o" : base === 2 ? "0b" : "";
  let value = BigInt(prefix + s);
  if (negative) value = -value;
  if (signed ? value < INT64_MIN || value > INT64_MAX : value > UINT64_MAX) return undefined;
  return value;
}

const TIMESTAMP =
  /^(\d{4})-(\d{1,2})-(\d{1,2})(?:(?:[Tt](\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2}))|(?: (\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.\d+)?))?$/;

/** go-yaml accepts a few timestamp layouts for plain scalars; anything else is not one. */
function isTimestamp(s: string): boolean {
  const m = TIMESTAMP.exec(s);
  if (!m) return false;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (month < 1 || month > 12 || day < 1) return false;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day > daysInMonth) return false;
  const h = m[4] ?? m[7];
  const mi = m[5] ?? m[8];
  const se = m[6] ?? m[9];
  if (h !== undefined && (Number(h) > 23 || Number(mi) > 59 || Number(se) > 59)) return false;
  return true;
}

/** go-yaml v3 `resolve(tag, in)` for an untagged (or `!!int`-style tagged) plain scalar. */
export function resolvePlain(value: string): Resolved {
  const first = value.charCodeAt(0);
  const word = WORDS[value];
  if (word) return word;
  const isDigit = first >= 48 && first <= 57;
  if (value.startsWith(".")) {
    const f = Number(value);
    if (value.length > 1 && !Number.isNaN(f) && !/[_xX]/.test(value)) return { tag: FLOAT_TAG, value: f };
    return { tag: STR_TAG, value };
  }
  if (!isDigit && !value.startsWith("+") && !value.startsWith("-")) return { tag: STR_TAG, value };
  if (isTimestamp(value)) return { tag: TIMESTAMP_TAG, value };
  const plain = value.replaceAll("_", "");
  const asInt = parseGoInteger(plain, true) ?? parseGoInteger(plain, false);
  if (asInt !== undefined) return { tag: INT_TAG, value: asInt };
  if (YAML_STYLE_FLOAT.test(plain)) return { tag: FLOAT_TAG, value: Number(plain) };
  return { tag: STR_TAG, value };
}
