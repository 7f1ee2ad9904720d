import { BlockWriter, LENGTH_SHIFT, MATCH_FLAG } from "./block-writer.js";

/**
 * DEFLATE (RFC 1951) exactly as Go's compress/flate writes it at BestCompression (level 9),
 * for the whole input given to one Write and then Close, which is how Butane calls it
 * (base/util/url.go MakeDataURL). Byte-identical output needs Go's every choice, so this
 * follows its algorithm step for step: the same hash, hash chains, window shifts, lazy
 * matching, block boundaries and block types (see docs/01-butane-ignition.md).
 */

const WINDOW_SIZE = 1 << 15;
const WINDOW_MASK = WINDOW_SIZE - 1;
/** Go fills a window of twice the match window and slides it by half. */
const BUFFER_SIZE = 2 * WINDOW_SIZE;
/** Go emits matches of 4 bytes or more only (and 4-byte ones only up to 4096 back). */
const MIN_MATCH = 4;
const MAX_MATCH = 258;
/** Lookahead the matcher wants before it works on, short of the end of input. */
const MIN_LOOKAHEAD = MIN_MATCH + MAX_MATCH;
const HASH_BITS = 17;
const HASH_SIZE = 1 << HASH_BITS;
const HASH_MULTIPLIER = 0x1e35a7bd;
/** Hash chain entries are positions plus an offset that is rebased once it passes this. */
const MAX_HASH_OFFSET = 1 << 24;
/**
 * Inputs up to this size hash into a table of 2^12 heads instead of Go's 2^17: see
 * Compressor.heads. It must not exceed the chain length searched (4096).
 */
const SMALL_INPUT = 4096;
const SMALL_HASH_BITS = 12;
/** Tokens per block, at most (Go's maxFlateBlockTokens). */
const MAX_BLOCK_TOKENS = 1 << 14;
const NO_BLOCK_START = 0x7fffffff;

/** Level 9 in Go's table of levels. */
const LEVEL_9 = {
  /** A search that already has a match this long tries only a quarter of the chain. */
  good: 32,
  /** No lazy search for a better match after one this long. */
  lazy: 258,
  /** Stop searching once a match is this long. */
  nice: 258,
  /** Hash chain entries tried per search. */
  chain: 4096,
} as const;

/** Go's hash4: the first four bytes, big-endian, times a constant, top 17 bits. */
function hash4(b: Uint8Array, i: number): number {
  const word = (b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!;
  return Math.imul(word, HASH_MULTIPLIER) >>> (32 - HASH_BITS);
}

/**
 * The compressor's tables are large (the 2^17 hash heads alone take 512 KB) and Butane
 * compresses one file after the other, so they are made once, on first use, and reused.
 */
class Compressor {
  private readonly window = new Uint8Array(BUFFER_SIZE);
  /**
   * Per position in the window: the previous position on its hash chain, plus `hashOffset`.
   * Never cleared between runs: an entry is read only for a position on a chain, which was
   * inserted (so written) in the same run, and not for one a window back, whose entry a newer
   * position has taken (Go stops the search there).
   */
  private readonly hashPrev = new Int32Array(WINDOW_SIZE);
  private readonly tokens = new Uint32Array(MAX_BLOCK_TOKENS + 1);
  private readonly writer = new BlockWriter();
  /**
   * Per hash: the latest position with that hash, plus `hashOffset` (0: none), in Go's 2^17
   * table, or for a small input in 2^12 heads (the hash's top 12 bits). Sharing a chain
   * changes nothing then: a position with another hash differs in its first 4 bytes, so it
   * never makes a match, chains stay newest first, so the window checks stop the search where
   * Go's would, and an input of at most 4096 bytes has too few positions to use up the 4096
   * tries Go allows. The small table keeps the 512 KB one untouched, and out of the CPU
   * caches, for the short files most configs have.
   */
  private readonly smallHeads = new Int32Array(1 << SMALL_HASH_BITS);
  private heads: Int32Array = this.smallHeads;
  private headShift = 0;
  private largeHeads: Int32Array | undefined;
  /** Whether largeHeads holds entries of an earlier run (-1), or is all zero (0). */
  private largeDirty = 0;

  private hashOffset = 1;
  private chainHead = -1;
  private index = 0;
  private windowEnd = 0;
  private blockStart = 0;
  private tokenCount = 0;
  /** Lazy matching: the byte at index − 1 is still to be decided. */
  private byteAvailable = false;
  private length = MIN_MATCH - 1;
  private offset = 0;
  private maxInsertIndex = 0;

  /** DEFLATE of `input` at [headerBytes, length − trailerBytes) of a scratch buffer. */
  compress(input: Uint8Array, headerBytes: number, trailerBytes: number): Uint8Array {
    this.clear(input.length);
    this.writer.reset(headerBytes);
    // Go's Writer.Write: alternately process the window and refill it, until all is in.
    for (let taken = 0; taken < input.length; ) {
      this.step(false);
      taken += this.fill(input, taken);
    }
    // Writer.Close: process the rest, then the final empty stored block.
    this.step(true);
    if (this.heads === this.largeHeads && input.length <= WINDOW_SIZE) {
      // The window still holds the input: clear just the heads it set.
      for (let i = 0; i + MIN_MATCH <= input.length; i++) this.heads[hash4(this.window, i)] = 0;
      this.largeDirty = 0;
    }
    return this.writer.finish(trailerBytes);
  }

  /** Go's reset: empty tables and a fresh state, with the heads table for `inputLength`. */
  private clear(inputLength: number): void {
    if (inputLength <= SMALL_INPUT) {
      this.heads = this.smallHeads.fill(0);
      this.headShift = HASH_BITS - SMALL_HASH_BITS;
    } else {
      this.largeHeads ??= new Int32Array(HASH_SIZE);
      if (this.largeDirty !== 0) this.largeHeads.fill(0);
      // Dirty until the run ends and cleans up after itself.
      this.largeDirty = -1;
      this.heads = this.largeHeads;
      this.headShift = 0;
    }
    this.hashOffset = 1;
    this.chainHead = -1;
    this.index = 0;
    this.windowEnd = 0;
    this.blockStart = 0;
    this.tokenCount = 0;
    this.byteAvailable = false;
    this.length = MIN_MATCH - 1;
    this.offset = 0;
    this.maxInsertIndex = 0;
  }

  /** Go's fillDeflate: slide the window once the matcher is deep into it, then copy in. */
  private fill(input: Uint8Array, from: number): number {
    if (this.index >= BUFFER_SIZE - MIN_LOOKAHEAD) {
      this.window.copyWithin(0, WINDOW_SIZE, BUFFER_SIZE);
      this.index -= WINDOW_SIZE;
      this.windowEnd -= WINDOW_SIZE;
      // A block that began in the half slid out can no longer be stored.
      this.blockStart = this.blockStart >= WINDOW_SIZE ? this.blockStart - WINDOW_SIZE : NO_BLOCK_START;
      this.hashOffset += WINDOW_SIZE;
      if (this.hashOffset > MAX_HASH_OFFSET) this.rebaseHashes();
    }
    const n = Math.min(input.length - from, BUFFER_SIZE - this.windowEnd);
    this.window.set(input.subarray(from, from + n), this.windowEnd);
    this.windowEnd += n;
    return n;
  }

  private rebaseHashes(): void {
    const delta = this.hashOffset - 1;
    this.hashOffset -= delta;
    this.chainHead -= delta;
    for (const table of [this.hashPrev, this.heads]) {
      for (let i = 0; i < table.length; i++) {
        const v = table[i]!;
        table[i] = v > delta ? v - delta : 0;
      }
    }
  }

  /** Ends the current block at `index` (a window position). */
  private flushBlock(index: number): void {
    const input = this.blockStart <= index ? this.window.subarray(this.blockStart, index) : undefined;
    this.blockStart = index;
    this.writer.writeBlock(this.tokens, this.tokenCount, input);
    this.tokenCount = 0;
  }

  private insertHash(i: number): void {
    const slot = hash4(this.window, i) >>> this.headShift;
    this.hashPrev[i & WINDOW_MASK] = this.heads[slot]!;
    this.heads[slot] = i + this.hashOffset;
  }

  /** Go's deflate step with lazy matching; `final` is Go's `sync` (no more input to wait for). */
  private step(final: boolean): void {
    if (this.windowEnd - this.index < MIN_LOOKAHEAD && !final) return;
    const window = this.window;
    const heads = this.heads;
    const headShift = this.headShift;
    const hashPrev = this.hashPrev;
    const tokens = this.tokens;
    this.maxInsertIndex = this.windowEnd - (MIN_MATCH - 1);
    for (;;) {
      const index = this.index;
      const lookahead = this.windowEnd - index;
      if (lookahead < MIN_LOOKAHEAD) {
        if (!final) return;
        if (lookahead === 0) {
          if (this.byteAvailable) {
            tokens[this.tokenCount++] = window[index - 1]!;
            this.byteAvailable = false;
          }
          if (this.tokenCount > 0) this.flushBlock(index);
          return;
        }
      }
      if (index < this.maxInsertIndex) {
        const slot = hash4(window, index) >>> headShift;
        this.chainHead = heads[slot]!;
        hashPrev[index & WINDOW_MASK] = this.chainHead;
        heads[slot] = index + this.hashOffset;
      }
      const prevLength = this.length;
      const prevOffset = this.offset;
      this.length = MIN_MATCH - 1;
      this.offset = 0;
      const minIndex = Math.max(index - WINDOW_SIZE, 0);
      if (
        this.chainHead - this.hashOffset >= minIndex &&
        lookahead > prevLength &&
        prevLength < LEVEL_9.lazy
      ) {
        this.findMatch(index, this.chainHead - this.hashOffset, lookahead);
      }
      if (prevLength >= MIN_MATCH && this.length <= prevLength) {
        // The match that began at index − 1 is not beaten: emit it.
        tokens[this.tokenCount++] = MATCH_FLAG + ((prevLength - 3) << LENGTH_SHIFT) + (prevOffset - 1);
        // index and index − 1 are hashed already; hash the rest of the match.
        const end = index + prevLength - 1;
        for (let i = index + 1; i < end; i++) if (i < this.maxInsertIndex) this.insertHash(i);
        this.index = end;
        this.byteAvailable = false;
        this.length = MIN_MATCH - 1;
        if (this.tokenCount === MAX_BLOCK_TOKENS) this.flushBlock(end);
      } else {
        if (this.byteAvailable) {
          tokens[this.tokenCount++] = window[index - 1]!;
          if (this.tokenCount === MAX_BLOCK_TOKENS) this.flushBlock(index);
        }
        this.index = index + 1;
        this.byteAvailable = true;
      }
    }
  }

  /**
   * Go's findMatch for a search that starts with no match (length 3): walks the hash chain
   * from `head`, newest first, keeping the longest match; sets `length` and `offset`.
   */
  private findMatch(pos: number, head: number, lookahead: number): void {
    const window = this.window;
    const hashPrev = this.hashPrev;
    const hashOffset = this.hashOffset;
    const longest = Math.min(MAX_MATCH, lookahead);
    const nice = Math.min(LEVEL_9.nice, longest);
    let length = MIN_MATCH - 1;
    let offset = 0;
    let tries = length >= LEVEL_9.good ? LEVEL_9.chain >> 2 : LEVEL_9.chain;
    let endByte = window[pos + length]!;
    const minIndex = pos - WINDOW_SIZE;
    for (let i = head; tries > 0; tries--) {
      if (window[i + length] === endByte) {
        let n = 0;
        while (n < longest && window[i + n] === window[pos + n]) n++;
        if (n > length && (n > MIN_MATCH || pos - i <= 4096)) {
          length = n;
          offset = pos - i;
          if (n >= nice) break;
          endByte = window[pos + n]!;
        }
      }
      // The slot of the oldest position in the window has been reused already.
      if (i === minIndex) break;
      i = hashPrev[i & WINDOW_MASK]! - hashOffset;
      if (i < minIndex || i < 0) break;
    }
    if (offset !== 0) {
      this.length = length;
      this.offset = offset;
    }
  }
}

let compressor: Compressor | undefined;

/** Raw DEFLATE of `input`, byte for byte what Go's flate.NewWriter(w, 9), Write, Close produce. */
export function deflateLikeGo(input: Uint8Array): Uint8Array {
  return deflateIntoScratch(input, 0, 0).slice();
}

/**
 * As deflateLikeGo, framed: the DEFLATE stream starts at `headerBytes` of the returned
 * buffer, which has `trailerBytes` free at its end. The buffer is reused by the next call.
 */
export function deflateIntoScratch(input: Uint8Array, headerBytes: number, trailerBytes: number): Uint8Array {
  compressor ??= new Compressor();
  return compressor.compress(input, headerBytes, trailerBytes);
}
