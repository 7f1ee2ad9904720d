/**
 * Crafted etcd snapshots for tests: a bbolt file laid out as `Tx.WriteTo` writes one (bbolt
 * v1.4.3 `tx.go` lines 428-451: meta page 0, meta page 1 with the transaction id one lower,
 * then the data pages — here a freelist page, an empty leaf and `dataPages` leaf pages of
 * deterministic filler), followed by the 32-byte SHA-256 trailer etcd's snapshot stream ends
 * with. No etcd or bbolt runs here; the layout follows the facts in src/snapshots/format.ts.
 */
import { createHash } from "node:crypto";
import { BBOLT_MAGIC, BBOLT_VERSION, fnv1a64 } from "../../src/snapshots/index.js";

const META_FLAG = 0x04;
const LEAF_FLAG = 0x02;
const FREELIST_FLAG = 0x10;

export interface FixtureOptions {
  readonly pageSize?: number;
  /** Leaf pages after the four initial ones. */
  readonly dataPages?: number;
  /** Changes the filler bytes, so that two fixtures differ. */
  readonly seed?: number;
  readonly txid?: bigint;
  /** Text placed in the first data page, e.g. a stand-in Secret a test must never see printed. */
  readonly marker?: string;
}

function writeMeta(page: Buffer, id: number, pageSize: number, pages: number, txid: bigint): void {
  page.writeBigUInt64LE(BigInt(id), 0);
  page.writeUInt16LE(META_FLAG, 8);
  page.writeUInt32LE(BBOLT_MAGIC, 16);
  page.writeUInt32LE(BBOLT_VERSION, 20);
  page.writeUInt32LE(pageSize, 24);
  page.writeUInt32LE(0, 28); // flags
  page.writeBigUInt64LE(3n, 32); // root bucket page
  page.writeBigUInt64LE(0n, 40); // root sequence
  page.writeBigUInt64LE(2n, 48); // freelist page
  page.writeBigUInt64LE(BigInt(pages), 56); // high-water mark
  page.writeBigUInt64LE(txid, 64);
  page.writeBigUInt64LE(fnv1a64(page.subarray(16, 72)), 72);
}

/** The database part (no trailer). */
export function bboltDatabase(options: FixtureOptions = {}): Buffer {
  const pageSize = options.pageSize ?? 4096;
  const pages = 4 + (options.dataPages ?? 4);
  const txid = options.txid ?? 42n;
  const db = Buffer.alloc(pageSize * pages);
  writeMeta(db.subarray(0, pageSize), 0, pageSize, pages, txid);
  writeMeta(db.subarray(pageSize, 2 * pageSize), 1, pageSize, pages, txid - 1n);
  db.writeBigUInt64LE(2n, 2 * pageSize);
  db.writeUInt16LE(FREELIST_FLAG, 2 * pageSize + 8);
  db.writeBigUInt64LE(3n, 3 * pageSize);
  db.writeUInt16LE(LEAF_FLAG, 3 * pageSize + 8);
  let state = (options.seed ?? 1) >>> 0 || 1;
  for (let page = 4; page < pages; page++) {
    const offset = page * pageSize;
    db.writeBigUInt64LE(BigInt(page), offset);
    db.writeUInt16LE(LEAF_FLAG, offset + 8);
    for (let i = offset + 16; i < offset + pageSize; i += 4) {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      db.writeUInt32LE(state >>> 0, i);
    }
  }
  if (options.marker && pages > 4) db.write(options.marker, 4 * pageSize + 16, "utf8");
  return db;
}

/** A complete snapshot: the database and its SHA-256 trailer. */
export function bboltSnapshot(options: FixtureOptions = {}): Buffer {
  const db = bboltDatabase(options);
  return Buffer.concat([db, createHash("sha256").update(db).digest()]);
}

/** Re-seals a changed database part with a correct trailer (to test the checks behind the hash). */
export function withTrailer(db: Buffer): Buffer {
  return Buffer.concat([db, createHash("sha256").update(db).digest()]);
}

export function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}
