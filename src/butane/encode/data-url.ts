import { gzipLikeGo } from "./go-flate/gzip.js";

/**
 * Builds the `data:` URL Butane embeds for inline and local contents (base/util MakeDataURL):
 * the shortest of RFC 2397 percent-escaping and base64, or base64 of the gzipped bytes when
 * compression is allowed, not already set by the user, and shorter even after paying for the
 * `"gzip"` value. The gzip bytes are Go's, exactly (./go-flate), so the choice is the
 * reference's too.
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
 * The shortest gzip URL: Go's empty member is 23 bytes (header, an empty final stored block,
 * trailer), 32 in base64. Contents whose URL is no longer than this plus `"gzip"` cannot gain.
 */
const MIN_GZIP_URL_LENGTH = ";base64,".length + 32 + "gzip".length;

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
    // Butane's own test, on the exact length: the base64 URL plus the "gzip" value must be shorter.
    if (";base64,".length + 4 * Math.ceil(gz.length / 3) + "gzip".length < opaque.length) {
      opaque = `;base64,${Buffer.from(gz.buffer, gz.byteOffset, gz.length).toString("base64")}`;
      compression = "gzip";
    }
  }
  return { url: `data:${opaque}`, compression };
}
