import { gzipSync } from "node:zlib";

/**
 * Builds the `data:` URL Butane embeds for inline and local contents (base/util MakeDataURL):
 * the shortest of RFC 2397 percent-escaping and base64, or base64 of the gzipped bytes when
 * compression is allowed, not already set by the user, and shorter even after paying for the
 * `"gzip"` value.
 */
export interface DataUrl {
  readonly url: string;
  /** The compression value to record: "" (explicitly none), "gzip", or undefined (user-set, leave it). */
  readonly compression: "" | "gzip" | undefined;
}

const UNRESERVED = new Uint8Array(256);
for (const c of "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.!~*'()")
  UNRESERVED[c.charCodeAt(0)] = 1;
const HEX = "0123456789ABCDEF";

/** vincent-petithory/dataurl `Escape`: every byte but RFC 2396 unreserved ones becomes %XX. */
export function percentEscape(bytes: Uint8Array): string {
  let out = "";
  let run = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] ?? 0;
    if (UNRESERVED[b]) continue;
    if (i > run) out += Buffer.from(bytes.subarray(run, i)).toString("latin1");
    out += `%${HEX[b >> 4]}${HEX[b & 15]}`;
    run = i + 1;
  }
  return out + Buffer.from(bytes.subarray(run)).toString("latin1");
}

/**
 * Go's compress/flate finishes a stream with an empty stored block that zlib does not write,
 * so its output runs a few bytes longer than zlib's for the same input; measured on the
 * reference's own output, 5 bytes. The size comparison uses that estimate so that the choice
 * of gzip matches the reference's.
 */
const GO_DEFLATE_EXTRA_BYTES = 5;

const MIN_GZIP_URL_LENGTH =
  ";base64,".length + 4 * Math.ceil((20 + GO_DEFLATE_EXTRA_BYTES) / 3) + "gzip".length;

export function gzipLikeGo(bytes: Uint8Array): Buffer {
  const gz = gzipSync(bytes, { level: 9 });
  gz[8] = 2; // XFL: best compression, as Go writes it
  gz[9] = 255; // OS: unknown, as Go writes it
  return gz;
}

export function makeDataUrl(
  bytes: Uint8Array,
  currentCompression: string | undefined,
  allowCompression: boolean,
): DataUrl {
  const userCompressed = currentCompression !== undefined && currentCompression !== "";
  let opaque = `,${percentEscape(bytes)}`;
  const b64 = `;base64,${Buffer.from(bytes).toString("base64")}`;
  if (b64.length < opaque.length) opaque = b64;
  let compression: DataUrl["compression"] = userCompressed ? undefined : "";
  // The smallest gzip stream (header, empty deflate, trailer) already outweighs short contents.
  if (!userCompressed && allowCompression && opaque.length > MIN_GZIP_URL_LENGTH) {
    const gz = gzipLikeGo(bytes);
    const estimatedLength = `;base64,`.length + 4 * Math.ceil((gz.length + GO_DEFLATE_EXTRA_BYTES) / 3);
    if (estimatedLength + "gzip".length < opaque.length) {
      opaque = `;base64,${gz.toString("base64")}`;
      compression = "gzip";
    }
  }
  return { url: `data:${opaque}`, compression };
}
