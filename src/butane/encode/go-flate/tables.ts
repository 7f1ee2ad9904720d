/**
 * DEFLATE symbol tables (RFC 1951 §3.2.5). Tokens carry lengths and distances as in Go's
 * compress/flate: `xlength` = length − 3 (0…255) and `xoffset` = distance − 1 (0…32767).
 */

/** Literal/length symbols Go's encoder counts and codes (286 and 287 never occur). */
export const LITERAL_LENGTH_SYMBOLS = 286;
/** The fixed code numbers all 288 symbols: 286 and 287 take two of its 8-bit codes. */
export const FIXED_LITERAL_LENGTH_SYMBOLS = 288;
export const DISTANCE_SYMBOLS = 30;
export const CODE_LENGTH_SYMBOLS = 19;
export const END_OF_BLOCK = 256;
export const FIRST_LENGTH_SYMBOL = 257;

/** Extra bits and base `xlength` of length codes 257…285. */
// biome-ignore format: a table reads better on few lines
export const LENGTH_EXTRA_BITS = Uint8Array.of(
  0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
);
// biome-ignore format: a table reads better on few lines
export const LENGTH_BASE = Uint16Array.of(
  0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 14, 16, 20, 24, 28, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224,
  255,
);

/** Extra bits and base `xoffset` of distance codes 0…29. */
// biome-ignore format: a table reads better on few lines
export const DISTANCE_EXTRA_BITS = Uint8Array.of(
  0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13,
);
// biome-ignore format: a table reads better on few lines
export const DISTANCE_BASE = Uint16Array.of(
  0, 1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 1536, 2048, 3072,
  4096, 6144, 8192, 12288, 16384, 24576,
);

/** The order in which a dynamic block header lists the code-length code lengths. */
// biome-ignore format: a table reads better on few lines
export const CODE_LENGTH_ORDER = Uint8Array.of(16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15);

/** Built on first use, so that loading the module (and the CLI) costs nothing. */
let lengthCodeOf: Uint8Array | undefined;

/** Length code (0…28, add 257 for the symbol) of an `xlength`. */
export function lengthCodeTable(): Uint8Array {
  if (lengthCodeOf) return lengthCodeOf;
  const table = new Uint8Array(256);
  for (let code = 0; code < LENGTH_BASE.length; code++) {
    const end = code + 1 < LENGTH_BASE.length ? LENGTH_BASE[code + 1]! : 256;
    for (let x = LENGTH_BASE[code]!; x < end; x++) table[x] = code;
  }
  lengthCodeOf = table;
  return table;
}

/** Distance code (0…29) of an `xoffset`: the position of its top bit and the bit below it. */
export function distanceCode(xoffset: number): number {
  if (xoffset < 4) return xoffset;
  const top = 31 - Math.clz32(xoffset);
  return 2 * top + ((xoffset >> (top - 1)) & 1);
}

/** Code lengths of the fixed Huffman block type (RFC 1951 §3.2.6). */
export function fixedLiteralLengths(): Uint8Array {
  return new Uint8Array(FIXED_LITERAL_LENGTH_SYMBOLS)
    .fill(8, 0, 144)
    .fill(9, 144, 256)
    .fill(7, 256, 280)
    .fill(8, 280);
}
export function fixedDistanceLengths(): Uint8Array {
  return new Uint8Array(DISTANCE_SYMBOLS).fill(5);
}
