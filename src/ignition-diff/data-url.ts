import { gunzipSync } from "node:zlib";

/**
 * Decoding of the `data:` URLs Ignition configs carry for inline contents (RFC 2397): either
 * percent-escaped bytes or `;base64`, optionally gzip-compressed (`compression: gzip`, the only
 * compression Ignition supports). Percent escapes decode to bytes, not text, so non-UTF-8
 * contents survive and are recognised as binary later.
 */

export type BytesResult =
  | { readonly ok: true; readonly bytes: Uint8Array }
  | { readonly ok: false; readonly reason: string };

/**
 * Inline contents larger than this after gunzip are refused: a config is at most a few MB and a
 * gzip bomb in a damaged state file must not exhaust memory.
 */
export const MAX_DECODED_BYTES = 64 * 1024 * 1024;

export function isDataUrl(source: string): boolean {
  return /^data:/i.test(source);
}

/** The bytes of a `data:` URL, or why it is not one. */
export function decodeDataUrl(url: string): BytesResult {
  if (!isDataUrl(url)) return { ok: false, reason: "not a data: URL" };
  const comma = url.indexOf(",");
  if (comma < 0) return { ok: false, reason: "data: URL without a comma before its data" };
  const meta = url.slice(5, comma);
  const data = url.slice(comma + 1);
  if (!/;base64$/i.test(meta)) return percentDecode(data);
  // The usual case, plain base64 without escapes, stays in native code.
  const text = data.includes("%") ? percentDecodedText(data) : data;
  if (text === undefined) return { ok: false, reason: "invalid percent-escape in data: URL" };
  const bytes = strictBase64(text) ?? strictBase64(text.replace(/\s+/g, ""));
  if (bytes === undefined) return { ok: false, reason: "data: URL marked ;base64 holds no valid base64" };
  return { ok: true, bytes };
}

/** Base64 (padded or not) decoded, or undefined when Node's lenient decoder would drop characters. */
function strictBase64(text: string): Buffer | undefined {
  const unpadded = withoutPadding(text);
  if (unpadded.length % 4 === 1) return undefined;
  const bytes = Buffer.from(unpadded, "base64");
  return withoutPadding(bytes.toString("base64")) === unpadded ? bytes : undefined;
}

function withoutPadding(text: string): string {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 0x3d) end--;
  return end === text.length ? text : text.slice(0, end);
}

function percentDecodedText(text: string): string | undefined {
  const decoded = percentDecode(text);
  return decoded.ok ? Buffer.from(decoded.bytes).toString("latin1") : undefined;
}

/** `%XX` escapes to bytes; other characters as their UTF-8 bytes. */
function percentDecode(text: string): BytesResult {
  const input = Buffer.from(text, "utf8");
  if (!input.includes(0x25)) return { ok: true, bytes: input };
  const out = Buffer.allocUnsafe(input.length);
  let length = 0;
  for (let i = 0; i < input.length; i++) {
    const byte = input[i]!;
    if (byte !== 0x25) {
      out[length++] = byte;
      continue;
    }
    const high = hexValue(input[i + 1]);
    const low = hexValue(input[i + 2]);
    if (high < 0 || low < 0) return { ok: false, reason: `invalid percent-escape at character ${i + 1}` };
    out[length++] = high * 16 + low;
    i += 2;
  }
  return { ok: true, bytes: out.subarray(0, length) };
}

function hexValue(byte: number | undefined): number {
  if (byte === undefined) return -1;
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  if (byte >= 0x41 && byte <= 0x46) return byte - 0x37;
  if (byte >= 0x61 && byte <= 0x66) return byte - 0x57;
  return -1;
}

/** Applies `compression` (unset or "" for none, "gzip") to decoded bytes. */
export function decompress(bytes: Uint8Array, compression: string | undefined): BytesResult {
  if (compression === undefined || compression === "") return { ok: true, bytes };
  if (compression !== "gzip") {
    return { ok: false, reason: `compression "${compression}" is not supported (Ignition knows only gzip)` };
  }
  try {
    return { ok: true, bytes: gunzipSync(bytes, { maxOutputLength: MAX_DECODED_BYTES }) };
  } catch (error) {
    const tooLarge =
      error instanceof RangeError || (error as { code?: string }).code === "ERR_BUFFER_TOO_LARGE";
    return {
      ok: false,
      reason: tooLarge
        ? `gzip data expands beyond ${MAX_DECODED_BYTES / 1024 / 1024} MiB`
        : "compression is gzip but the data is not valid gzip",
    };
  }
}
