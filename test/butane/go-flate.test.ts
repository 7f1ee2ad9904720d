import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync, inflateRawSync, crc32 as zlibCrc32 } from "node:zlib";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { makeDataUrl } from "../../src/butane/encode/data-url.js";
import { crc32 } from "../../src/butane/encode/go-flate/crc32.js";
import { deflateLikeGo } from "../../src/butane/encode/go-flate/deflate.js";
import { gzipLikeGo } from "../../src/butane/encode/go-flate/gzip.js";
import { HuffmanCode } from "../../src/butane/encode/go-flate/huffman.js";
import { CASES_DIR, GZIP_CASES_DIR } from "./conformance-cases.js";
import { type InputSpec, makeInput } from "./go-flate-inputs.js";

interface RecordedPayload {
  readonly name: string;
  readonly gzip: Buffer;
}

/** Every `"compression":"gzip"` data URL in the reference's recorded outputs. */
function recordedPayloads(): RecordedPayload[] {
  const payloads: RecordedPayload[] = [];
  for (const root of [CASES_DIR, GZIP_CASES_DIR]) {
    for (const name of readdirSync(root).sort()) {
      const file = join(root, name, "expected.ign");
      if (!existsSync(file)) continue;
      let n = 0;
      const visit = (value: unknown): void => {
        if (typeof value !== "object" || value === null) return;
        const record = value as Record<string, unknown>;
        const source = record.source;
        if (record.compression === "gzip" && typeof source === "string" && source.startsWith("data:;base64,"))
          payloads.push({ name: `${name} #${n++}`, gzip: Buffer.from(source.slice(13), "base64") });
        for (const child of Object.values(record)) visit(child);
      };
      // A few command-line cases print pflag's usage text on stdout: no config, no payload.
      let recorded: unknown;
      try {
        recorded = JSON.parse(readFileSync(file, "utf8"));
      } catch {
        continue;
      }
      visit(recorded);
    }
  }
  return payloads;
}

const sha256 = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex");

describe("Go's gzip bytes, as recorded from butane 0.22.0", () => {
  const payloads = recordedPayloads();

  it("has the recorded payloads", () => {
    expect(payloads.length).toBeGreaterThanOrEqual(31);
  });

  it.each(payloads)("$name", ({ gzip }) => {
    const contents = gunzipSync(gzip);
    expect(Buffer.from(gzipLikeGo(contents)).equals(gzip)).toBe(true);
  });
});

interface GoVector extends InputSpec {
  readonly gzipLength: number;
  readonly gzipSha256: string;
}

describe("Go 1.19 compress/gzip vectors (block, window and hash-table boundaries)", () => {
  const { vectors } = JSON.parse(
    readFileSync(join(import.meta.dirname, "..", "fixtures", "go-flate-vectors.json"), "utf8"),
  ) as { vectors: GoVector[] };

  it.each(vectors)("$kind, $size bytes, seed $seed", (vector) => {
    const gzip = gzipLikeGo(makeInput(vector));
    expect(gzip.length).toBe(vector.gzipLength);
    expect(sha256(gzip)).toBe(vector.gzipSha256);
  });
});

describe("gzip framing", () => {
  it("writes Go's header: no name, mtime 0, XFL 2 (best compression), OS 255", () => {
    const gzip = gzipLikeGo(new TextEncoder().encode("hello\n"));
    expect([...gzip.subarray(0, 10)]).toEqual([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 2, 255]);
  });

  it("ends with the CRC-32 and the length, little-endian", () => {
    const contents = makeInput({ kind: "words", size: 5000, seed: 1 });
    const gzip = gzipLikeGo(contents);
    const trailer = Buffer.from(gzip.subarray(gzip.length - 8));
    expect(trailer.readUInt32LE(0)).toBe(zlibCrc32(contents));
    expect(trailer.readUInt32LE(4)).toBe(5000);
  });

  it("computes CRC-32 as zlib does", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), (bytes) => {
        expect(crc32(bytes)).toBe(zlibCrc32(bytes));
      }),
    );
  });

  it("writes an empty input as Go does: an empty final stored block", () => {
    expect([...deflateLikeGo(new Uint8Array(0))]).toEqual([1, 0, 0, 0xff, 0xff]);
  });
});

/** Sizes around Go's boundaries: tokens per block, the window, the refill point, stored blocks. */
const BOUNDARY_SIZES = [0, 1, 2, 3, 4, 5, 258, 262, 16383, 16384, 16385, 32768, 65274, 65535, 65536, 65537];

const contents = fc.oneof(
  fc.uint8Array({ maxLength: 2000 }),
  fc.uint8Array({ minLength: 60000, maxLength: 140000 }),
  fc
    .record({
      kind: fc.constantFrom<InputSpec["kind"]>(
        "random",
        "alphabet",
        "words",
        "periodic",
        "mixture",
        "sparse",
      ),
      size: fc.oneof(fc.constantFrom(...BOUNDARY_SIZES), fc.integer({ min: 0, max: 70000 })),
      seed: fc.nat(),
    })
    .map(makeInput),
  // Highly repetitive: one short chunk over and over.
  fc
    .tuple(fc.uint8Array({ minLength: 1, maxLength: 8 }), fc.integer({ min: 1, max: 40000 }))
    .map(([chunk, times]) =>
      Uint8Array.from({ length: chunk.length * times }, (_, i) => chunk[i % chunk.length]!),
    ),
);

describe("round trip through Node's zlib", () => {
  it("inflates to the original bytes (raw DEFLATE)", () => {
    fc.assert(
      fc.property(contents, (bytes) => {
        expect(Buffer.from(inflateRawSync(deflateLikeGo(bytes))).equals(Buffer.from(bytes))).toBe(true);
      }),
      { numRuns: 80 },
    );
  });

  it("gunzips to the original bytes, every boundary size", () => {
    for (const size of BOUNDARY_SIZES) {
      for (const kind of ["random", "words", "periodic"] as const) {
        const bytes = makeInput({ kind, size, seed: size });
        expect(Buffer.from(gunzipSync(gzipLikeGo(bytes))).equals(Buffer.from(bytes))).toBe(true);
      }
    }
  });

  it("gives the same bytes when called again (no state leaks between runs)", () => {
    // Small (own hash table), up to a window (cleaned by rehashing), beyond (cleared whole).
    const inputs = [
      makeInput({ kind: "words", size: 900, seed: 4 }),
      makeInput({ kind: "mixture", size: 20000, seed: 5 }),
      makeInput({ kind: "mixture", size: 150000, seed: 3 }),
      makeInput({ kind: "alphabet", size: 4096, seed: 6 }),
    ];
    const first = inputs.map((bytes) => sha256(gzipLikeGo(bytes)));
    for (const order of [
      [2, 0, 1, 3],
      [1, 1, 3, 2, 2, 0],
      [3, 1, 0, 2],
    ]) {
      for (const i of order) expect(sha256(gzipLikeGo(inputs[i]!))).toBe(first[i]);
    }
  });
});

describe("length-limited Huffman codes", () => {
  const frequencies = fc.integer({ min: 1, max: 286 }).chain((size) =>
    fc.tuple(
      fc.constant(size),
      fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 16385 })), {
        minLength: size,
        maxLength: size,
      }),
    ),
  );

  it("builds complete prefix codes within the length limit", () => {
    fc.assert(
      fc.property(frequencies, fc.constantFrom(7, 15), ([size, counts], maxBits) => {
        const used = counts.filter((c) => c > 0).length;
        fc.pre(used <= 2 ** maxBits);
        const code = new HuffmanCode(size);
        code.build(Int32Array.from(counts), maxBits);
        let kraft = 0;
        for (let s = 0; s < size; s++) {
          const bits = code.lengths[s]!;
          expect(bits === 0).toBe(counts[s] === 0);
          expect(bits).toBeLessThanOrEqual(maxBits);
          if (bits > 0) kraft += 2 ** -bits;
        }
        // Two or more symbols fill the code space; a single one gets a 1-bit code.
        if (used >= 2) expect(kraft).toBe(1);
        // No code is a prefix of another: as intervals of the 15-bit code space they are disjoint.
        const intervals = [...Array(size).keys()]
          .filter((s) => counts[s]! > 0)
          .map((s) => {
            const bits = code.lengths[s]!;
            let value = 0;
            for (let i = 0; i < bits; i++) value = (value << 1) | ((code.codes[s]! >> i) & 1);
            return [value << (15 - bits), (value + 1) << (15 - bits)] as const;
          })
          .sort((a, b) => a[0] - b[0]);
        for (let i = 1; i < intervals.length; i++)
          expect(intervals[i]![0]).toBeGreaterThanOrEqual(intervals[i - 1]![1]);
      }),
      { numRuns: 150 },
    );
  });
});

describe("the gzip decision (Butane's MakeDataURL rule)", () => {
  it("gzips exactly when the base64 gzip URL plus the compression value is shorter", () => {
    fc.assert(
      fc.property(contents, (bytes) => {
        const percentOrBase64 = makeDataUrl(bytes, undefined, false).url.length - "data:".length;
        const gzipUrl = ";base64,".length + 4 * Math.ceil(gzipLikeGo(bytes).length / 3);
        const chosen = makeDataUrl(bytes, undefined, true);
        expect(chosen.compression).toBe(gzipUrl + "gzip".length < percentOrBase64 ? "gzip" : "");
      }),
      { numRuns: 40 },
    );
  });

  it("never gzips contents the user compressed", () => {
    const bytes = makeInput({ kind: "words", size: 4000, seed: 9 });
    expect(makeDataUrl(bytes, "gzip", true).compression).toBeUndefined();
  });
});
