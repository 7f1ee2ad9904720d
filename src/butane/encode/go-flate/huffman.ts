/**
 * Length-limited Huffman codes chosen the way Go's compress/flate chooses them.
 *
 * Many code-length assignments are optimal for the same frequencies; byte-identical output
 * needs the one Go picks. Go sorts the used symbols by (frequency, symbol), counts how many
 * symbols get each length with a package-merge limited to `maxBits` levels (a lazy boundary
 * package-merge, Katajainen, Moffat and Turpin, whose choices are those of the plain
 * package-merge below, ties going to the package), gives the shortest lengths to the most
 * frequent symbols in that order, and numbers the codes canonically (RFC 1951 §3.2.2). One or
 * two used symbols all get length 1.
 */

const NO_MORE = 0x7fffffff;
const MAX_LEVELS = 17;
/** A level's list: the n leaves and at most n − 1 packages. */
const LIST_STRIDE = 2 * 287;

// Scratch space shared by every code: building is synchronous and never re-entered.
// Frequencies are token counts of one block (at most 16,385), so sums of a few hundred of them
// stay far below NO_MORE and everything fits 32-bit integers.
const sortKeys = new Int32Array(287);
const sortedFreq = new Int32Array(287);
/** Weight of each item of each level's list, in order. */
const itemWeight = new Int32Array(MAX_LEVELS * LIST_STRIDE);
/** Leaves among the first i items of each level's list (index i, 0…length). */
const leavesBefore = new Int32Array(MAX_LEVELS * (LIST_STRIDE + 1));
const listLength = new Int32Array(MAX_LEVELS);
/** The level whose list a level has (levels above the point where lists repeat share it). */
const listOf = new Int32Array(MAX_LEVELS);
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

  /**
   * Rebuilds the code for `freq` (a count per symbol), no code over `maxBits`. Symbols from
   * `count` on have a zero count (the default: all have a count).
   */
  build(freq: Int32Array, maxBits: number, count = this.size): void {
    const { lengths } = this;
    lengths.fill(0, count);
    let used = 0;
    for (let symbol = 0; symbol < count; symbol++) {
      const f = freq[symbol]!;
      lengths[symbol] = 0;
      if (f !== 0) sortKeys[used++] = (f << 9) | symbol;
    }
    if (used <= 2) {
      // Go's special case: each used symbol gets one bit, numbered in symbol order.
      let code = 0;
      for (let symbol = 0; symbol < count; symbol++) {
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
    this.assignCanonicalCodes(limit, count);
  }

  /** Bits needed to write symbols with these counts; symbols from `count` on have none. */
  bitLength(freq: Int32Array, count = this.size): number {
    let total = 0;
    for (let symbol = 0; symbol < count; symbol++) total += freq[symbol]! * this.lengths[symbol]!;
    return total;
  }

  /** Takes the given code lengths (the fixed block type's) and numbers them canonically. */
  setLengths(lengths: Uint8Array): this {
    this.lengths.set(lengths);
    symbolsOfLength.fill(0);
    let longest = 0;
    for (let symbol = 0; symbol < this.size; symbol++) {
      const bits = lengths[symbol]!;
      symbolsOfLength[bits]!++;
      if (bits > longest) longest = bits;
    }
    this.assignCanonicalCodes(longest, this.size);
    return this;
  }

  /** Numbers the codes of symbols below `count` canonically (the others have length 0). */
  private assignCanonicalCodes(longest: number, count: number): void {
    const { lengths, codes } = this;
    let code = 0;
    symbolsOfLength[0] = 0;
    for (let bits = 1; bits <= longest; bits++) {
      code = (code + symbolsOfLength[bits - 1]!) << 1;
      nextCode[bits] = code;
    }
    for (let symbol = 0; symbol < count; symbol++) {
      const bits = lengths[symbol]!;
      if (bits === 0) continue;
      codes[symbol] = reverseBits(nextCode[bits]!++, bits);
    }
  }
}

/** The low `bits` bits of `value` in reverse order (DEFLATE sends Huffman codes high bit first). */
function reverseBits(value: number, bits: number): number {
  let v = ((value >> 1) & 0x5555) | ((value & 0x5555) << 1);
  v = ((v >> 2) & 0x3333) | ((v & 0x3333) << 2);
  v = ((v >> 4) & 0x0f0f) | ((v & 0x0f0f) << 4);
  v = ((v >> 8) & 0x00ff) | ((v & 0x00ff) << 8);
  return v >> (16 - bits);
}

/**
 * How many of the `n` sorted symbols (frequencies in `sortedFreq`) get each code length, in
 * `symbolsOfLength[1…]`; returns the longest length.
 *
 * Level 1's list is the leaves; each level above merges the leaves with packages of pairs of
 * consecutive items of the level below, by weight, a package before a leaf of equal weight.
 * The top level selects its first 2n − 2 items; the packages among them select twice as many
 * items of the level below, and so on down. A leaf's code has as many bits as the levels that
 * select it. Once a level's list equals the one below, every list above is the same too.
 */
function countLengths(n: number, maxBitsWanted: number): number {
  // No tree over n leaves is deeper than n − 1.
  const maxBits = Math.min(maxBitsWanted, n - 1);
  const rowOfCounts = LIST_STRIDE + 1;
  for (let i = 0; i < n; i++) {
    itemWeight[LIST_STRIDE + i] = sortedFreq[i]!;
    leavesBefore[rowOfCounts + i + 1] = i + 1;
  }
  leavesBefore[rowOfCounts] = 0;
  listLength[1] = n;
  listOf[1] = 1;
  let repeating = 0;
  for (let level = 2; level <= maxBits; level++) {
    if (repeating !== 0) {
      listOf[level] = repeating;
      continue;
    }
    const below = (level - 1) * LIST_STRIDE;
    const list = level * LIST_STRIDE;
    const counts = level * rowOfCounts;
    const packages = listLength[level - 1]! >> 1;
    let leaf = 0;
    let pkg = 0;
    let length = 0;
    let leaves = 0;
    let leafWeight = sortedFreq[0]!;
    let packageWeight = packages > 0 ? itemWeight[below]! + itemWeight[below + 1]! : NO_MORE;
    leavesBefore[counts] = 0;
    while (leaf < n || pkg < packages) {
      if (leafWeight < packageWeight) {
        itemWeight[list + length] = leafWeight;
        leaves++;
        leafWeight = ++leaf < n ? sortedFreq[leaf]! : NO_MORE;
      } else {
        itemWeight[list + length] = packageWeight;
        packageWeight =
          ++pkg < packages ? itemWeight[below + 2 * pkg]! + itemWeight[below + 2 * pkg + 1]! : NO_MORE;
      }
      leavesBefore[counts + ++length] = leaves;
    }
    listLength[level] = length;
    listOf[level] = level;
    if (length === listLength[level - 1] && sameList(level, length)) repeating = level;
  }

  // Walk down from the top: a leaf selected on the top level but not the one below has 1 bit…
  let selected = 2 * n - 2;
  let leavesAbove = 0;
  for (let level = maxBits, bits = 0; level >= 1; level--, bits++) {
    const leaves = leavesBefore[listOf[level]! * rowOfCounts + selected]!;
    if (bits > 0) symbolsOfLength[bits] = leavesAbove - leaves;
    leavesAbove = leaves;
    selected = 2 * (selected - leaves);
  }
  symbolsOfLength[maxBits] = leavesAbove;
  return maxBits;
}

/** Whether `level`'s list (of `length` items) is the one below it, item for item. */
function sameList(level: number, length: number): boolean {
  const list = level * LIST_STRIDE;
  const below = list - LIST_STRIDE;
  const counts = level * (LIST_STRIDE + 1);
  const countsBelow = counts - (LIST_STRIDE + 1);
  for (let i = 0; i < length; i++) {
    if (itemWeight[list + i] !== itemWeight[below + i]) return false;
    if (leavesBefore[counts + i + 1] !== leavesBefore[countsBelow + i + 1]) return false;
  }
  return true;
}
