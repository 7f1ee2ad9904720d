import { crc32 } from "./crc32.js";
import { deflateIntoScratch } from "./deflate.js";

/**
 * The gzip member (RFC 1952) Butane writes: Go's gzip.NewWriterLevel(buf, BestCompression)
 * with no header fields set — no name, comment or extra field, modification time 0, XFL 2
 * (Go's mark for BestCompression), OS 255 (unknown, Go's default) — then the DEFLATE stream,
 * the CRC-32 and the length mod 2^32, little-endian.
 */
const HEADER = Uint8Array.of(0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 2, 255);

export function gzipLikeGo(input: Uint8Array): Uint8Array {
  const deflated = deflateIntoScratch(input);
  const out = new Uint8Array(HEADER.length + deflated.length + 8);
  out.set(HEADER, 0);
  out.set(deflated, HEADER.length);
  const trailer = new DataView(out.buffer, out.byteOffset + HEADER.length + deflated.length, 8);
  trailer.setUint32(0, crc32(input), true);
  trailer.setUint32(4, input.length >>> 0, true);
  return out;
}
