import { createHash, type Hash } from "node:crypto";

/**
 * The etcd snapshot file format, as k3s writes it with `k3s etcd-snapshot save` (uncompressed):
 * a bbolt database followed by a 32-byte SHA-256 of the database bytes.
 *
 * - etcd's client (`client/v3/snapshot/v3_snapshot.go` lines 65-119 at v3.6.14) refuses a
 *   stream unless `size % 512 == 32` ("sha256 checksum not found"); the server sends the db
 *   pages and then their SHA-256 (`server/etcdserver/api/v3rpc/maintenance.go` lines 150-153,
 *   196-206); etcdutl's restore truncates the last 32 bytes and compares (`etcdutl/snapshot/
 *   v3_snapshot.go` lines 92-98, 442-499).
 * - bbolt v1.4.3 (etcd 3.6.14's, `go.mod` line 25): two meta pages at offsets 0 and pageSize;
 *   page header 16 bytes, then the meta: magic (16), version (20), pageSize (24), ..., checksum
 *   (72) = FNV-1a 64 over bytes 16..71 (`internal/common/meta.go` lines 12-34, 61-65;
 *   `internal/common/types.go` lines 13, 16). A snapshot made by `Tx.WriteTo` has both meta
 *   pages, the second with the transaction id one lower (`tx.go` lines 428-451).
 * - bbolt writes native byte order; k3s runs amd64 nodes here, so the fields are little-endian.
 *
 * Checked in one pass over the bytes (hundreds of MB), so the same code verifies a download
 * as it arrives and a stored file.
 */

export const SNAPSHOT_TRAILER_BYTES = 32;
export const SNAPSHOT_SIZE_ALIGNMENT = 512;
export const BBOLT_MAGIC = 0xed0cdaed;
export const BBOLT_VERSION = 2;
const PAGE_HEADER_BYTES = 16;
const META_CHECKSUM_OFFSET = PAGE_HEADER_BYTES + 56;
const META_BYTES = META_CHECKSUM_OFFSET + 8;
/**
 * bbolt finds the second meta page, when the first is damaged, by trying page sizes 1 KiB up to
 * 16 MiB (`db.go` `getPageSizeFromSecondMeta`, lines 377-411). Keeping 16 MiB per check would
 * cost that much memory; 64 KiB pages cover the sizes bbolt is used with (the OS page size).
 */
const LARGEST_PROBED_PAGE = 64 * 1024;
const HEAD_BYTES = LARGEST_PROBED_PAGE + META_BYTES;

export interface MetaPageCheck {
  /** 0 or 1. */
  readonly page: number;
  readonly offset: number;
  /** Undefined when valid, else why not. */
  readonly problem: string | undefined;
  readonly pageSize: number;
  readonly txid: bigint;
}

export type SnapshotCheck =
  | {
      readonly ok: true;
      readonly size: number;
      /** SHA-256 of the whole file, trailer included (what a restore-mode node checks). */
      readonly sha256: string;
      readonly pageSize: number;
      /** The meta pages that pass bbolt's own checks (at least one). */
      readonly validMetaPages: readonly number[];
    }
  | {
      readonly ok: false;
      readonly size: number;
      readonly sha256: string;
      /** One sentence: what is wrong with the file. */
      readonly problem: string;
    };

/** FNV-1a, 64 bit (Go's `hash/fnv` New64a), over a byte range. */
export function fnv1a64(bytes: Uint8Array): bigint {
  let hash = 0xcbf29ce484222325n;
  for (const byte of bytes) {
    hash ^= BigInt(byte);
    hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return hash;
}

/** bbolt's `Meta.Validate()`: magic, then version, then checksum. */
export function checkMetaPage(head: Buffer, offset: number, page: number): MetaPageCheck {
  const base = { page, offset, pageSize: 0, txid: 0n };
  if (head.length < offset + META_BYTES)
    return { ...base, problem: `meta page ${page} at offset ${offset} is beyond the end of the file` };
  const magic = head.readUInt32LE(offset + PAGE_HEADER_BYTES);
  const version = head.readUInt32LE(offset + PAGE_HEADER_BYTES + 4);
  const pageSize = head.readUInt32LE(offset + PAGE_HEADER_BYTES + 8);
  const txid = head.readBigUInt64LE(offset + PAGE_HEADER_BYTES + 48);
  const hex = (value: number) => `0x${value.toString(16).toUpperCase().padStart(8, "0")}`;
  if (magic !== BBOLT_MAGIC)
    return { ...base, problem: `meta page ${page}: magic ${hex(magic)} is not bbolt's ${hex(BBOLT_MAGIC)}` };
  if (version !== BBOLT_VERSION)
    return { ...base, problem: `meta page ${page}: bbolt version ${version}, expected ${BBOLT_VERSION}` };
  const stored = head.readBigUInt64LE(offset + META_CHECKSUM_OFFSET);
  const computed = fnv1a64(head.subarray(offset + PAGE_HEADER_BYTES, offset + META_CHECKSUM_OFFSET));
  if (stored !== computed)
    return { ...base, problem: `meta page ${page}: FNV-1a checksum does not match its contents` };
  return { page, offset, pageSize, txid, problem: undefined };
}

function isPowerOfTwo(value: number): boolean {
  return value >= 512 && (value & (value - 1)) === 0;
}

/** The two meta pages of a bbolt file whose database part (trailer removed) is `bodySize` bytes. */
export function checkMetaPages(head: Buffer, bodySize: number): MetaPageCheck[] {
  const first = checkMetaPage(head, 0, 0);
  if (first.problem === undefined) return [first, checkMetaPage(head, first.pageSize, 1)];
  // As bbolt does when page 0 is damaged: find page 1 by trying the page sizes it may have.
  let second: MetaPageCheck | undefined;
  for (let offset = 1024; offset <= LARGEST_PROBED_PAGE && offset < bodySize - 1024; offset *= 2) {
    const candidate = checkMetaPage(head, offset, 1);
    if (candidate.problem === undefined && candidate.pageSize === offset) {
      second = candidate;
      break;
    }
    second ??= candidate;
  }
  return [first, second ?? { page: 1, offset: 0, pageSize: 0, txid: 0n, problem: "meta page 1: not found" }];
}

/**
 * Consumes a snapshot's bytes in order and checks them at the end. Holds back the last 32 bytes
 * (the trailer) and keeps only the first 64 KiB, whatever the file's size.
 */
export class SnapshotChecker {
  readonly #whole: Hash = createHash("sha256");
  readonly #body: Hash = createHash("sha256");
  #tail: Buffer = Buffer.alloc(0);
  readonly #head: Buffer[] = [];
  #headBytes = 0;
  #size = 0;

  update(chunk: Uint8Array): void {
    const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    this.#size += bytes.length;
    this.#whole.update(bytes);
    if (this.#headBytes < HEAD_BYTES) {
      const wanted = bytes.subarray(0, HEAD_BYTES - this.#headBytes);
      this.#head.push(Buffer.from(wanted));
      this.#headBytes += wanted.length;
    }
    // Everything but the last 32 bytes seen so far belongs to the database.
    if (bytes.length >= SNAPSHOT_TRAILER_BYTES) {
      this.#body.update(this.#tail);
      this.#body.update(bytes.subarray(0, bytes.length - SNAPSHOT_TRAILER_BYTES));
      this.#tail = Buffer.from(bytes.subarray(bytes.length - SNAPSHOT_TRAILER_BYTES));
    } else {
      const joined = Buffer.concat([this.#tail, bytes]);
      const spill = Math.max(0, joined.length - SNAPSHOT_TRAILER_BYTES);
      this.#body.update(joined.subarray(0, spill));
      this.#tail = joined.subarray(spill);
    }
  }

  get size(): number {
    return this.#size;
  }

  finish(): SnapshotCheck {
    const size = this.#size;
    const sha256 = this.#whole.digest("hex");
    const bad = (problem: string): SnapshotCheck => ({ ok: false, size, sha256, problem });
    if (size === 0) return bad("the file is empty");
    if (size % SNAPSHOT_SIZE_ALIGNMENT !== SNAPSHOT_TRAILER_BYTES) {
      return bad(
        `its size (${size} bytes) is not a multiple of ${SNAPSHOT_SIZE_ALIGNMENT} plus the ${SNAPSHOT_TRAILER_BYTES}-byte SHA-256 trailer: it is truncated, or not an etcd snapshot`,
      );
    }
    const expected = this.#tail.toString("hex");
    const actual = this.#body.digest("hex");
    if (expected !== actual) {
      return bad(
        `its SHA-256 trailer (${expected.slice(0, 16)}…) does not match its contents (${actual.slice(0, 16)}…): the file is damaged or truncated`,
      );
    }
    const bodySize = size - SNAPSHOT_TRAILER_BYTES;
    const metas = checkMetaPages(Buffer.concat(this.#head), bodySize);
    const valid = metas.filter((meta) => meta.problem === undefined);
    const [best] = valid;
    if (!best) return bad(`it holds no valid bbolt meta page (${metas.map((m) => m.problem).join("; ")})`);
    if (!isPowerOfTwo(best.pageSize) || bodySize % best.pageSize !== 0 || bodySize < 2 * best.pageSize) {
      return bad(
        `its database part (${bodySize} bytes) is not a whole number of bbolt pages of ${best.pageSize} bytes`,
      );
    }
    return { ok: true, size, sha256, pageSize: best.pageSize, validMetaPages: valid.map((m) => m.page) };
  }
}

/** Checks a snapshot held in memory (small files, tests). */
export function checkSnapshotBytes(bytes: Uint8Array): SnapshotCheck {
  const checker = new SnapshotChecker();
  checker.update(bytes);
  return checker.finish();
}
