/**
 * The snapshot format checks (size alignment, SHA-256 trailer, bbolt meta pages with FNV-1a)
 * against crafted files, whole and in chunks of every awkward size.
 */
import { describe, expect, it } from "vitest";
import { checkSnapshotBytes, fnv1a64, SnapshotChecker } from "../../src/snapshots/index.js";
import { bboltDatabase, bboltSnapshot, sha256, withTrailer } from "./bbolt-fixture.js";

const valid = bboltSnapshot();

function edited(edit: (db: Buffer) => void, options = {}): Buffer {
  const db = bboltDatabase(options);
  edit(db);
  return withTrailer(db);
}

describe("fnv1a64", () => {
  it.each([
    // Go's hash/fnv New64a reference values.
    ["", 0xcbf29ce484222325n],
    ["a", 0xaf63dc4c8601ec8cn],
    ["foobar", 0x85944171f73967e8n],
  ])("FNV-1a 64 of %j", (text, expected) => {
    expect(fnv1a64(Buffer.from(text))).toBe(expected);
  });
});

describe("checkSnapshotBytes", () => {
  const cases: readonly { name: string; bytes: Buffer; problem?: RegExp; metas?: number[] }[] = [
    { name: "a valid snapshot", bytes: valid, metas: [0, 1] },
    {
      name: "a valid snapshot with 16 KiB pages",
      bytes: bboltSnapshot({ pageSize: 16384, dataPages: 2 }),
      metas: [0, 1],
    },
    { name: "empty", bytes: Buffer.alloc(0), problem: /empty/ },
    {
      name: "truncated by 1 byte",
      bytes: valid.subarray(0, valid.length - 1),
      problem: /multiple of 512 plus the 32-byte SHA-256 trailer/,
    },
    {
      name: "one byte too many",
      bytes: Buffer.concat([valid, Buffer.from([0])]),
      problem: /multiple of 512/,
    },
    {
      name: "truncated at a page boundary (trailer missing, size still aligned)",
      bytes: Buffer.concat([valid.subarray(0, 4096 * 4), valid.subarray(valid.length - 32)]),
      problem: /SHA-256 trailer .* does not match its contents/,
    },
    {
      name: "a wrong trailer",
      bytes: Buffer.concat([valid.subarray(0, valid.length - 32), Buffer.alloc(32, 7)]),
      problem: /does not match its contents/,
    },
    {
      name: "one flipped byte in a data page",
      bytes: (() => {
        const copy = Buffer.from(valid);
        copy[5 * 4096 + 100] = (copy[5 * 4096 + 100] ?? 0) ^ 0xff;
        return copy;
      })(),
      problem: /damaged or truncated/,
    },
    {
      name: "wrong magic in both meta pages",
      bytes: edited((db) => {
        db.writeUInt32LE(0xdeadbeef, 16);
        db.writeUInt32LE(0xdeadbeef, 4096 + 16);
      }),
      problem: /no valid bbolt meta page .*magic 0xDEADBEEF is not bbolt's 0xED0CDAED/,
    },
    {
      name: "bad FNV checksum in both meta pages",
      bytes: edited((db) => {
        db.writeUInt32LE(1, 28); // meta flags changed, checksum not updated
        db.writeUInt32LE(1, 4096 + 28);
      }),
      problem: /FNV-1a checksum does not match/,
    },
    {
      name: "wrong bbolt version",
      bytes: edited((db) => {
        db.writeUInt32LE(1, 20);
        db.writeUInt32LE(1, 4096 + 20);
      }),
      problem: /bbolt version 1, expected 2/,
    },
    {
      name: "meta page 0 damaged, meta page 1 valid (bbolt falls back to it)",
      bytes: edited((db) => db.writeUInt32LE(0, 16)),
      metas: [1],
    },
    {
      name: "meta page 1 damaged, meta page 0 valid",
      bytes: edited((db) => db.writeUInt32LE(0, 4096 + 72)),
      metas: [0],
    },
    {
      name: "a page size the file is not a multiple of",
      bytes: edited(
        (db) => {
          for (const offset of [0, 4096]) {
            db.writeUInt32LE(8192, offset + 24);
            db.writeBigUInt64LE(fnv1a64(db.subarray(offset + 16, offset + 72)), offset + 72);
          }
        },
        { dataPages: 3 },
      ),
      problem: /not a whole number of bbolt pages of 8192 bytes/,
    },
    {
      name: "aligned random bytes with a correct trailer",
      bytes: withTrailer(Buffer.alloc(4096 * 2, 0x5a)),
      problem: /no valid bbolt meta page/,
    },
  ];

  it.each(cases)("$name", ({ bytes, problem, metas }) => {
    const check = checkSnapshotBytes(bytes);
    expect(check.size).toBe(bytes.length);
    expect(check.sha256).toBe(sha256(bytes));
    if (problem) {
      expect(check.ok).toBe(false);
      if (!check.ok) expect(check.problem).toMatch(problem);
    } else {
      expect(check.ok ? [] : check.problem).toEqual([]);
      if (check.ok) {
        expect(check.validMetaPages).toEqual(metas);
        expect(check.pageSize).toBeGreaterThanOrEqual(4096);
      }
    }
  });

  it.each([1, 7, 31, 32, 33, 511, 4096, 65536])(
    "gives the same answer when fed in %i-byte chunks",
    (size) => {
      for (const bytes of [
        valid,
        valid.subarray(0, valid.length - 1),
        edited((db) => db.writeUInt32LE(0, 16)),
      ]) {
        const checker = new SnapshotChecker();
        for (let offset = 0; offset < bytes.length; offset += size)
          checker.update(bytes.subarray(offset, offset + size));
        expect(checker.finish()).toEqual(checkSnapshotBytes(bytes));
      }
    },
  );
});
