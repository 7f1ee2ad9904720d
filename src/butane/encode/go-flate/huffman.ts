/**
 * Length-limited Huffman codes chosen the way Go's compress/flate chooses them.
 *
 * Many code-length assignments are optimal for the same frequencies; byte-identical output
 * needs the one Go picks. Go sorts the used symbols by (frequency, symbol), counts how many
 * symbols get each length with a lazy boundary package-merge (Katajainen, Moffat and Turpin),
 * gives the shortest lengths to the most frequent symbols of that order, and numbers the
 * codes canonically (RFC 1951 §3.2.2). One or two used symbols all get length 1.
 */

const NO_MORE = 0x7fffffff; // Go's math.MaxInt32 sentinel: "nothing left on this level"
const MAX_LEVELS = 17;

// Scratch space shared by every code: building is synchronous and never re-entered.
// Frequencies are token counts of one block (at most 16,385), so sums of them stay far below
// the sentinel and everything fits 32-bit integers.
const sortKeys = new Int32Array(287);
const sortedFreq = new Int32Array(287);
const lastFreq = new Int32Array(MAX_LEVELS);
const nextLeafFreq = new Int32Array(MAX_LEVELS);
const nextPairFreq = new Int32Array(MAX_LEVELS);
const needed = new Int32Array(MAX_LEVELS);
/** Leaves left of (and including) each level's last node, on that level. */
const ownLeaves = new Int32Array(MAX_LEVELS);
/** The record holding the same counts for the ancestors of a level's last node, or -1. */
const below = new Int32Array(MAX_LEVELS);
/** Records: a level's leaf count and the record of the level below it, or -1 (all zero). */
const MAX_RECORDS = 16 * 286; // at most n − 1 pairs are taken on each level
const recordLeaves = new Int32Array(MAX_RECORDS);
const recordBelow = new Int32Array(MAX_RECORDS);
const symbolsOfLength = new Int32Array(MAX_LEVELS);
const nextCode = new Int32Array(MAX_LEVELS);

export class HuffmanCode {
  /** Code length of each symbol, 0 for an unused one. */
  readonly lengths: Uint8Array;
  /** Each symbol's code, bit-reversed so it can be written least significant bit first. */
  readonly codes: Uint16Array;

  constructor(readonly size: number) {
    this.lengths = new Uint8Array(size);
    this.codes = new Uint16Array(size);
  }

  /** Rebuilds the code for `freq` (one count per symbol, `size` of them), no code over `maxBits`. */
  build(freq: Int32Array, maxBits: number): void {
    const { lengths, size } = this;
    let used = 0;
    for (let symbol = 0; symbol < size; symbol++) {
      const f = freq[symbol]!;
      lengths[symbol] = 0;
      if (f !== 0) sortKeys[used++] = (f << 9) | symbol;
    }
    if (used <= 2) {
      // Go's special case: each used symbol gets one bit, numbered in symbol order.
      let code = 0;
      for (let symbol = 0; symbol < size; symbol++) {
        if (freq[symbol] === 0) continue;
        lengths[symbol] = 1;
        this.codes[symbol] = code++;
      }
      return;
    }
    const keys = sortKeys.subarray(0, used).sort();
    for (let i = 0; i < used; i++) sortedFreq[i] = keys[i]! >> 9;
    const limit = countLengths(used, maxBits);
    // The most frequent symbols (the end of the sorted list) get the shortest codes.
    let next = used;
    for (let bits = 1; bits <= limit; bits++) {
      for (let k = symbolsOfLength[bits]!; k > 0; k--) {
        const key = keys[--next]!;
        lengths[key & 511] = bits;
      }
    }
    this.assignCanonicalCodes(limit);
  }

  /** Bits needed to write symbols with these counts (the first `size` entries of `freq`). */
  bitLength(freq: Int32Array): number {
    let total = 0;
    for (let symbol = 0; symbol < this.size; symbol++) total += freq[symbol]! * this.lengths[symbol]!;
    return total;
  }

  /** Sets fixed lengths (the fixed block type) and numbers them canonically. */
  setLengths(lengthOf: (symbol: number) => number): this {
    let longest = 0;
    for (let symbol = 0; symbol < this.size; symbol++) {
      const bits = lengthOf(symbol);
      this.lengths[symbol] = bits;
      if (bits > longest) longest = bits;
    }
    symbolsOfLength.fill(0);
    for (let symbol = 0; symbol < this.size; symbol++) symbolsOfLength[this.lengths[symbol]!]!++;
    this.assignCanonicalCodes(longest);
    return this;
  }

  private assignCanonicalCodes(longest: number): void {
    const { lengths, codes, size } = this;
    let code = 0;
    symbolsOfLength[0] = 0;
    for (let bits = 1; bits <= longest; bits++) {
      code = (code + symbolsOfLength[bits - 1]!) << 1;
      nextCode[bits] = code;
    }
    for (let symbol = 0; symbol < size; symbol++) {
      const bits = lengths[symbol]!;
      if (bits === 0) continue;
      codes[symbol] = reverseBits(nextCode[bits]!++, bits);
    }
  }
}

function reverseBits(value: number, bits: number): number {
  let reversed = 0;
  for (let i = 0; i < bits; i++) {
    reversed = (reversed << 1) | (value & 1);
    value >>= 1;
  }
  return reversed;
}

/**
 * How many of the `n` sorted symbols (frequencies in `sortedFreq`) get each code length, in
 * `symbolsOfLength[1…]`; returns the longest length. Each level of the package-merge keeps
 * only its last node and a look-ahead of the next leaf and the next pair from the level below.
 *
 * Go keeps, per level, the leaf counts of all the ancestors of the level's last node and
 * copies the level below's whenever it takes a pair. The same counts are kept here as a
 * shared linked list (a level's own count, then a pointer to a snapshot of the level below),
 * which makes taking a pair one record instead of up to 15 copies.
 */
function countLengths(n: number, maxBitsWanted: number): number {
  sortedFreq[n] = NO_MORE;
  // No tree over n leaves is deeper than n − 1.
  const maxBits = Math.min(maxBitsWanted, n - 1);
  const rarest = sortedFreq[0]!;
  const second = sortedFreq[1]!;
  const third = sortedFreq[2]!;
  // Every level starts as if its first two nodes were the two rarest leaves; level 0 is a
  // stand-in that never supplies a pair.
  for (let level = 0; level <= maxBits + 1; level++) {
    lastFreq[level] = second;
    nextLeafFreq[level] = third;
    nextPairFreq[level] = rarest + second;
    needed[level] = 0;
    ownLeaves[level] = 2;
    below[level] = -1;
  }
  ownLeaves[0] = 0;
  nextPairFreq[1] = NO_MORE;
  // The top level needs 2n − 2 nodes in all; two are already there.
  needed[maxBits] = 2 * n - 4;

  let records = 0;
  let level = maxBits;
  for (;;) {
    const nextLeaf = nextLeafFreq[level]!;
    const nextPair = nextPairFreq[level]!;
    if (nextPair === NO_MORE && nextLeaf === NO_MORE) {
      // Out of leaves and pairs: close this level for good and go up.
      needed[level] = 0;
      nextPairFreq[level + 1] = NO_MORE;
      level++;
      continue;
    }
    const previous = lastFreq[level]!;
    let last: number;
    if (nextLeaf < nextPair) {
      const leaves = ownLeaves[level]! + 1;
      last = nextLeaf;
      ownLeaves[level] = leaves;
      nextLeafFreq[level] = sortedFreq[leaves]!;
    } else {
      // A tie goes to the pair, as in Go. The new last node's ancestors below are the level
      // below's, as they stand now.
      last = nextPair;
      recordLeaves[records] = ownLeaves[level - 1]!;
      recordBelow[records] = below[level - 1]!;
      below[level] = records++;
      needed[level - 1] = 2;
    }
    lastFreq[level] = last;
    if (--needed[level]! === 0) {
      if (level === maxBits) break;
      nextPairFreq[level + 1] = previous + last;
      level++;
    } else {
      // A pair was used up: refill the levels below first.
      while (needed[level - 1]! > 0) level--;
    }
  }

  // A leaf's code has as many bits as the levels it is counted on: those counted on the top
  // level but not the one below get 1 bit, and so on down the chain.
  let leaves = ownLeaves[maxBits]!;
  let record = below[maxBits]!;
  for (let bits = 1; bits <= maxBits; bits++) {
    const leavesBelow = record >= 0 ? recordLeaves[record]! : 0;
    symbolsOfLength[bits] = leaves - leavesBelow;
    leaves = leavesBelow;
    record = record >= 0 ? recordBelow[record]! : -1;
  }
  return maxBits;
}
