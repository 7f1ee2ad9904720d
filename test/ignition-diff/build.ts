import { gzipSync } from "node:zlib";
import { expect } from "vitest";
import {
  type DecodedIgnition,
  decodeIgnition,
  diffIgnition,
  formatIgnitionDiff,
  type IgnitionDiff,
  type IgnitionDiffOptions,
  summarizeIgnitionDiff,
  toJson,
} from "../../src/ignition-diff/index.js";

/** Small builders for hand-written Ignition configs in tests. */

export type DataEncoding = "percent" | "base64" | "gzip";

/** A `data:` URL for the text or bytes, and the `compression` value that goes with it. */
export function dataSource(
  contents: string | Uint8Array,
  encoding: DataEncoding = "percent",
): { source: string; compression?: string } {
  const bytes = typeof contents === "string" ? Buffer.from(contents, "utf8") : Buffer.from(contents);
  if (encoding === "gzip")
    return { source: `data:;base64,${gzipSync(bytes).toString("base64")}`, compression: "gzip" };
  if (encoding === "base64") return { source: `data:;base64,${bytes.toString("base64")}` };
  let escaped = "";
  for (const byte of bytes) {
    const char = String.fromCharCode(byte);
    escaped += /[A-Za-z0-9\-_.!~*'()]/.test(char)
      ? char
      : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return { source: `data:,${escaped}` };
}

export type IgnitionJson = Record<string, unknown>;

/** A config of the given spec version with the given sections. */
export function config(sections: IgnitionJson = {}, version = "3.3.0"): IgnitionJson {
  const ignition = (sections.ignition as IgnitionJson | undefined) ?? {};
  return { ...sections, ignition: { ...ignition, version } };
}

export function file(
  path: string,
  contents: string | Uint8Array | undefined,
  extra: IgnitionJson = {},
  encoding: DataEncoding = "percent",
): IgnitionJson {
  return {
    path,
    ...(contents === undefined ? {} : { contents: dataSource(contents, encoding) }),
    ...extra,
  };
}

/** `ignition.config.merge` entry holding a config inline. */
export function inlineMerge(child: IgnitionJson, encoding: DataEncoding = "percent"): IgnitionJson {
  return dataSource(JSON.stringify(child), encoding);
}

export function decoded(value: IgnitionJson | string): DecodedIgnition {
  const result = decodeIgnition(typeof value === "string" ? value : JSON.stringify(value));
  if (!result.ok) throw new Error(`decode failed: ${result.error.path}: ${result.error.message}`);
  return result.config;
}

export interface Rendered {
  readonly diff: IgnitionDiff;
  readonly text: string;
  readonly colored: string;
  readonly summary: string;
  readonly json: string;
}

/** Every output form of the diff between two configs (texts or JSON values). */
export function render(
  before: IgnitionJson | string,
  after: IgnitionJson | string,
  options: IgnitionDiffOptions = {},
): Rendered {
  const diff = diffIgnition(decoded(before), decoded(after), options);
  return {
    diff,
    text: formatIgnitionDiff(diff),
    colored: formatIgnitionDiff(diff, { color: true, width: 60, maxLinesPerFile: 5 }),
    summary: summarizeIgnitionDiff(diff),
    json: JSON.stringify(toJson(diff)),
  };
}

/** Asserts that a value appears in none of the output forms (nor its JSON-escaped form). */
export function expectNowhere(rendered: Rendered, secret: string, what = "secret"): void {
  // A prefix too: a line cut to the terminal width must not show the start of a secret either.
  const forms = [
    secret,
    JSON.stringify(secret).slice(1, -1),
    ...(secret.length >= 16 ? [secret.slice(0, 10)] : []),
  ];
  for (const [name, output] of Object.entries({
    text: rendered.text,
    colored: rendered.colored,
    summary: rendered.summary,
    json: rendered.json,
  })) {
    for (const form of forms) expect(output.includes(form), `${what} in ${name}: ${output}`).toBe(false);
  }
}
