/**
 * Butane reads its input as bytes and leaves decoding to libyaml's reader (go-yaml v3
 * `readerc.go`), so the same file gives the same answer here: the encoding is UTF-16LE or
 * UTF-16BE after their byte order mark, else UTF-8 (a UTF-8 mark is allowed); bytes that are not
 * valid in it end decoding with libyaml's problem text ("invalid trailing UTF-8 octet", …),
 * which go-yaml reports without a line. The mark stays in the text as U+FEFF, where the parser
 * skips it as it skips a UTF-8 one.
 */

export type DecodedInput =
  | { readonly ok: true; readonly text: string }
  | { readonly ok: false; readonly problem: string };

/** The width libyaml gives a UTF-8 sequence from its leading octet (0: not a leading octet). */
function utf8Width(octet: number): number {
  if ((octet & 0x80) === 0) return 1;
  if ((octet & 0xe0) === 0xc0) return 2;
  if ((octet & 0xf0) === 0xe0) return 3;
  if ((octet & 0xf8) === 0xf0) return 4;
  return 0;
}

const UTF8_LEAD_BITS = [0, 0x7f, 0x1f, 0x0f, 0x07] as const;
const UTF8_MINIMUM = [0, 0, 0x80, 0x800, 0x10000] as const;

function checkUtf8(bytes: Uint8Array): string | undefined {
  let at = 0;
  while (at < bytes.length) {
    const octet = bytes[at] as number;
    if (octet < 0x80) {
      at++;
      continue;
    }
    const width = utf8Width(octet);
    if (width === 0) return "invalid leading UTF-8 octet";
    if (at + width > bytes.length) return "incomplete UTF-8 octet sequence";
    let value = octet & (UTF8_LEAD_BITS[width] as number);
    for (let k = 1; k < width; k++) {
      const trailing = bytes[at + k] as number;
      if ((trailing & 0xc0) !== 0x80) return "invalid trailing UTF-8 octet";
      value = (value << 6) + (trailing & 0x3f);
    }
    if (value < (UTF8_MINIMUM[width] as number)) return "invalid length of a UTF-8 sequence";
    if ((value >= 0xd800 && value <= 0xdfff) || value > 0x10ffff) return "invalid Unicode character";
    at += width;
  }
  return undefined;
}

function decodeUtf16(bytes: Uint8Array, littleEndian: boolean): DecodedInput {
  const unit = (at: number) =>
    littleEndian
      ? (bytes[at] as number) | ((bytes[at + 1] as number) << 8)
      : ((bytes[at] as number) << 8) | (bytes[at + 1] as number);
  const units: number[] = [];
  let at = 0;
  while (at < bytes.length) {
    if (at + 2 > bytes.length) return { ok: false, problem: "incomplete UTF-16 character" };
    const value = unit(at);
    if ((value & 0xfc00) === 0xdc00) return { ok: false, problem: "unexpected low surrogate area" };
    if ((value & 0xfc00) === 0xd800) {
      if (at + 4 > bytes.length) return { ok: false, problem: "incomplete UTF-16 surrogate pair" };
      const low = unit(at + 2);
      if ((low & 0xfc00) !== 0xdc00) return { ok: false, problem: "expected low surrogate area" };
      units.push(value, low);
      at += 4;
      continue;
    }
    units.push(value);
    at += 2;
  }
  let text = "";
  // In slices: String.fromCharCode takes its arguments on the stack.
  for (let start = 0; start < units.length; start += 8192)
    text += String.fromCharCode(...units.slice(start, start + 8192));
  return { ok: true, text };
}

/** Decodes a Butane config's bytes as libyaml does, or names the first problem. */
export function decodeYamlInput(bytes: Uint8Array): DecodedInput {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return decodeUtf16(bytes, true);
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return decodeUtf16(bytes, false);
  const problem = checkUtf8(bytes);
  if (problem !== undefined) return { ok: false, problem };
  return { ok: true, text: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8") };
}
