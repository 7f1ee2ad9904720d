import { describe, expect, it } from "vitest";
import { decodeDoubleQuoted, decodeSingleQuoted } from "../../src/butane/yaml/double-quoted.js";

/** libyaml's double-quoted scalars (YAML 1.1 escapes), as go-yaml v3 and so butane read them. */
const VALUES: ReadonlyArray<readonly [string, string]> = [
  ['"plain"', "plain"],
  ['"it\\\'s"', "it's"],
  ['"\\x41\\u00e9\\U0001F600"', "Aé😀"],
  ['"tab\\\tand \\t"', "tab\tand \t"],
  ['"\\0\\a\\b\\v\\f\\e\\N\\_\\L\\P"', "\0\x07\b\v\f\x1b\u0085\u00a0\u2028\u2029"],
  ['"a\n  b"', "a b"],
  ['"a  \n\n   b"', "a\nb"],
  ['"a \\\n   b"', "a b"],
  ['"a\\\n   b"', "ab"],
  ['"a\\\r\n b"', "ab"],
  ['"a\r\n\r\n b"', "a\nb"],
];

const ERRORS: ReadonlyArray<readonly [string, string, number]> = [
  ['"a\\/b"', "found unknown escape character", 2],
  ['"\\q"', "found unknown escape character", 1],
  ['"\\ud83d"', "found invalid Unicode character escape code", 1],
  ['"\\U00110000"', "found invalid Unicode character escape code", 1],
  ['"x\\x4"', "did not find expected hexdecimal number", 2],
];

const SINGLE: ReadonlyArray<readonly [string, string]> = [
  ["'it''s'", "it's"],
  ["'a\\b'", "a\\b"],
  ["'a\n\n  b  \n c'", "a\nb c"],
  ["''''", "'"],
];

describe("decodeSingleQuoted", () => {
  it.each(SINGLE)("%j reads as %j", (raw, value) => {
    expect(decodeSingleQuoted(raw)).toBe(value);
  });
});

describe("decodeDoubleQuoted", () => {
  it.each(VALUES)("%j reads as %j", (raw, value) => {
    expect(decodeDoubleQuoted(raw)).toEqual({ value });
  });
  it.each(ERRORS)("%j is refused: %s", (raw, error, at) => {
    expect(decodeDoubleQuoted(raw)).toEqual({ error, at });
  });
});
