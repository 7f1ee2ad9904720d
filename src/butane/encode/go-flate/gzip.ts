import { crc32 } from "./crc32.js";
import { deflateIntoScratch } from "./deflate.js";

/**
 * The gzip member (RFC 1952) Butane writes: Go's gzip.NewWriterLevel(buf, BestCompression)
 * with no header fields set — no name, comment or extra field, modification time 0, XFL 2
 * (Go's mark for BestCompression), OS 255 (unknown, Go's default) — then the DEFLATE stream,
 * the CRC-32 and the length mod 2^32, little-endian.
 */
const HEADER = Uint8Array.of(0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 2, 255);
const TRAILER_BYTES = 8;

export function gzipLikeGo(input: Uint8Array): Uint8Array {
  const scratch = deflateIntoScratch(input, HEADER.length, TRAILER_BYTES);
  const out = scratch.slice();
  out.set(HEADER, 0);
  const end = out.length - TRAILER_BYTES;
  const crc = crc32(input);
  const size = input.length >>> 0;
  for (let i = 0; i < 4; i++) {
    out[end + i] = crc >>> (8 * i);
    out[end + 4 + i] = size >>> (8 * i);
  }
  return out;
}
