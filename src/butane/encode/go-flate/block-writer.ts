import { HuffmanCode } from "./huffman.js";
import {
  CODE_LENGTH_ORDER,
  CODE_LENGTH_SYMBOLS,
  DISTANCE_BASE,
  DISTANCE_EXTRA_BITS,
  DISTANCE_SYMBOLS,
  distanceCode,
  END_OF_BLOCK,
  FIRST_LENGTH_SYMBOL,
  FIXED_LITERAL_LENGTH_SYMBOLS,
  fixedDistanceLengths,
  fixedLiteralLengths,
  LENGTH_BASE,
  LENGTH_EXTRA_BITS,
  LITERAL_LENGTH_SYMBOLS,
  lengthCodeTable,
} from "./tables.js";

/**
 * Tokens as Go packs them: a literal byte (or 256, end of block) is its value; a match is
 * MATCH_FLAG | xlength << 22 | xoffset (xlength = length − 3, xoffset = distance − 1).
 */
export const MATCH_FLAG = 1 << 30;
export const LENGTH_SHIFT = 22;
const OFFSET_MASK = (1 << LENGTH_SHIFT) - 1;

/** A stored block holds at most this many bytes. */
export const MAX_STORED_BLOCK = 65535;
/** Marks the end of the run-length coded code lengths in `codegen`. */
const CODEGEN_END = 255;

/** Output scratch space beyond this is let go after a run, not kept for the next one. */
const KEPT_BUFFER_BYTES = 1 << 20;
const EMPTY = new Uint8Array(0);

let fixedLiteral: HuffmanCode | undefined;
let fixedDistance: HuffmanCode | undefined;

/**
 * Writes DEFLATE blocks choosing, like Go's huffmanBitWriter.writeBlock, the smallest of the
 * fixed code, a dynamic code and (where the block's bytes are at hand and fit) a stored block,
 * with Go's size estimates and tie-breaks, and Go's run-length coding of the code lengths.
 */
export class BlockWriter {
  private out = new Uint8Array(4096);
  private pos = 0;
  /** Pending bits, least significant first; fewer than 8 between calls. */
  private bits = 0;
  private bitCount = 0;

  private readonly literalFreq = new Int32Array(FIXED_LITERAL_LENGTH_SYMBOLS);
  private readonly distanceFreq = new Int32Array(DISTANCE_SYMBOLS);
  private readonly codeLengthFreq = new Int32Array(CODE_LENGTH_SYMBOLS);
  /** Run-length coded code lengths: symbols 0…18, each of 16/17/18 followed by its repeat value. */
  private readonly codegen = new Uint8Array(LITERAL_LENGTH_SYMBOLS + DISTANCE_SYMBOLS + 1);
  private readonly literalCode = new HuffmanCode(LITERAL_LENGTH_SYMBOLS);
  private readonly distanceCode = new HuffmanCode(DISTANCE_SYMBOLS);
  private readonly codeLengthCode = new HuffmanCode(CODE_LENGTH_SYMBOLS);

  /** Starts a new stream, leaving `headerBytes` free at the start of the output. */
  reset(headerBytes: number): void {
    if (this.out.length > KEPT_BUFFER_BYTES) this.out = new Uint8Array(4096);
    this.pos = headerBytes;
    this.bits = 0;
    this.bitCount = 0;
  }

  /**
   * Writes `tokens[0…count)` as one non-final block. `tokens` must have room for one more
   * entry (the end-of-block marker). `input` is the bytes the tokens stand for, or undefined
   * where they have left the window (the block cannot then be stored).
   */
  writeBlock(tokens: Uint32Array, count: number, input: Uint8Array | undefined): void {
    tokens[count++] = END_OF_BLOCK;
    const { literalFreq, distanceFreq } = this;
    this.countTokens(tokens, count);
    const { literals, distances } = this;

    const storable = input !== undefined && input.length <= MAX_STORED_BLOCK;
    // Length and distance extra bits cost the same in both Huffman forms; Go adds them only
    // when comparing against a stored block, which changes no decision, so they are always
    // added here (the exact size also sizes the output buffer).
    let extraBits = 0;
    for (let code = 8; code < literals - FIRST_LENGTH_SYMBOL; code++)
      extraBits += literalFreq[FIRST_LENGTH_SYMBOL + code]! * LENGTH_EXTRA_BITS[code]!;
    for (let code = 4; code < distances; code++)
      extraBits += distanceFreq[code]! * DISTANCE_EXTRA_BITS[code]!;

    fixedLiteral ??= new HuffmanCode(FIXED_LITERAL_LENGTH_SYMBOLS).setLengths(fixedLiteralLengths());
    fixedDistance ??= new HuffmanCode(DISTANCE_SYMBOLS).setLengths(fixedDistanceLengths());
    const fixedSize =
      3 +
      fixedLiteral.bitLength(literalFreq, literals) +
      fixedDistance.bitLength(distanceFreq, distances) +
      extraBits;

    this.makeCodegen(literals, distances);
    this.codeLengthCode.build(this.codeLengthFreq, 7);
    const codeLengthsListed = this.codeLengthsListed();
    const dynamicSize =
      this.dynamicHeaderSize(codeLengthsListed) +
      this.literalCode.bitLength(literalFreq, literals) +
      this.distanceCode.bitLength(distanceFreq, distances) +
      extraBits;

    const useDynamic = dynamicSize < fixedSize;
    const huffmanSize = useDynamic ? dynamicSize : fixedSize;
    if (storable && (input.length + 5) * 8 < huffmanSize) {
      this.writeStored(input, false);
      return;
    }
    this.reserve((huffmanSize >> 3) + 8);
    if (useDynamic) {
      this.writeDynamicHeader(literals, distances, codeLengthsListed);
      this.writeTokens(tokens, count, this.literalCode, this.distanceCode);
    } else {
      this.writeBits(2, 3); // not final, fixed codes
      this.writeTokens(tokens, count, fixedLiteral, fixedDistance);
    }
  }

  /** A stored block (header, padding to a byte, LEN, NLEN, the bytes). */
  writeStored(input: Uint8Array, final: boolean): void {
    this.reserve(input.length + 8);
    this.writeBits(final ? 1 : 0, 3);
    this.alignToByte();
    this.writeBits(input.length, 16);
    this.writeBits(~input.length & 0xffff, 16);
    this.out.set(input, this.pos);
    this.pos += input.length;
  }

  /**
   * Ends the stream as Go's Writer.Close does, with an empty final stored block, and returns
   * the output (after the reserved header bytes, with `trailerBytes` more room at the end).
   * It is scratch space: valid until the next reset.
   */
  finish(trailerBytes: number): Uint8Array {
    this.writeStored(EMPTY, true);
    this.reserve(trailerBytes);
    return this.out.subarray(0, this.pos + trailerBytes);
  }

  /** How many literal/length and distance codes the current block sends. */
  private literals = 0;
  private distances = 0;

  /** Counts symbol frequencies and builds the block's codes. */
  private countTokens(tokens: Uint32Array, count: number): void {
    const { literalFreq, distanceFreq } = this;
    literalFreq.fill(0);
    distanceFreq.fill(0);
    const lengthCodeOf = lengthCodeTable();
    for (let i = 0; i < count; i++) {
      const token = tokens[i]!;
      if (token < MATCH_FLAG) {
        literalFreq[token]!++;
      } else {
        literalFreq[FIRST_LENGTH_SYMBOL + lengthCodeOf[(token - MATCH_FLAG) >>> LENGTH_SHIFT]!]!++;
        distanceFreq[distanceCode(token & OFFSET_MASK)]!++;
      }
    }
    let literals = LITERAL_LENGTH_SYMBOLS;
    while (literalFreq[literals - 1] === 0) literals--;
    let distances = DISTANCE_SYMBOLS;
    while (distances > 0 && distanceFreq[distances - 1] === 0) distances--;
    if (distances === 0) {
      // A block without matches still describes one distance code (and Go counts it in
      // every size estimate, fixed included).
      distanceFreq[0] = 1;
      distances = 1;
    }
    this.literalCode.build(literalFreq, 15, literals);
    this.distanceCode.build(distanceFreq, 15, distances);
    this.literals = literals;
    this.distances = distances;
  }

  /**
   * Run-length codes the literal/length and distance code lengths (RFC 1951 §3.2.7) as Go
   * does: a run of a non-zero length is sent once, then in repeats of 3…6 (symbol 16); zeros
   * go in runs of 11…138 (18), then 3…10 (17); anything shorter is sent symbol by symbol.
   */
  private makeCodegen(literals: number, distances: number): void {
    const { codegen, codeLengthFreq } = this;
    codeLengthFreq.fill(0);
    codegen.set(this.literalCode.lengths.subarray(0, literals), 0);
    codegen.set(this.distanceCode.lengths.subarray(0, distances), literals);
    codegen[literals + distances] = CODEGEN_END;
    // The output never overtakes the input, so it is written over the same array.
    let out = 0;
    let length = codegen[0]!;
    let run = 1;
    for (let i = 1; length !== CODEGEN_END; i++) {
      const next = codegen[i]!;
      if (next === length) {
        run++;
        continue;
      }
      if (length !== 0) {
        codegen[out++] = length;
        codeLengthFreq[length]!++;
        run--;
        while (run >= 3) {
          const repeat = Math.min(run, 6);
          codegen[out++] = 16;
          codegen[out++] = repeat - 3;
          codeLengthFreq[16]!++;
          run -= repeat;
        }
      } else {
        while (run >= 11) {
          const repeat = Math.min(run, 138);
          codegen[out++] = 18;
          codegen[out++] = repeat - 11;
          codeLengthFreq[18]!++;
          run -= repeat;
        }
        if (run >= 3) {
          codegen[out++] = 17;
          codegen[out++] = run - 3;
          codeLengthFreq[17]!++;
          run = 0;
        }
      }
      for (; run > 0; run--) {
        codegen[out++] = length;
        codeLengthFreq[length]!++;
      }
      length = next;
      run = 1;
    }
    codegen[out] = CODEGEN_END;
  }

  /** How many code-length code lengths the header lists (trailing unused ones are left off, at least 4). */
  private codeLengthsListed(): number {
    let listed = CODE_LENGTH_SYMBOLS;
    while (listed > 4 && this.codeLengthFreq[CODE_LENGTH_ORDER[listed - 1]!] === 0) listed--;
    return listed;
  }

  private dynamicHeaderSize(codeLengthsListed: number): number {
    const freq = this.codeLengthFreq;
    return (
      3 +
      5 +
      5 +
      4 +
      3 * codeLengthsListed +
      this.codeLengthCode.bitLength(freq) +
      freq[16]! * 2 +
      freq[17]! * 3 +
      freq[18]! * 7
    );
  }

  private writeDynamicHeader(literals: number, distances: number, codeLengthsListed: number): void {
    this.writeBits(4, 3); // not final, dynamic codes
    this.writeBits(literals - 257, 5);
    this.writeBits(distances - 1, 5);
    this.writeBits(codeLengthsListed - 4, 4);
    const { lengths, codes } = this.codeLengthCode;
    for (let i = 0; i < codeLengthsListed; i++) this.writeBits(lengths[CODE_LENGTH_ORDER[i]!]!, 3);
    const { codegen } = this;
    for (let i = 0; ; ) {
      const symbol = codegen[i++]!;
      if (symbol === CODEGEN_END) break;
      this.writeBits(codes[symbol]!, lengths[symbol]!);
      if (symbol === 16) this.writeBits(codegen[i++]!, 2);
      else if (symbol === 17) this.writeBits(codegen[i++]!, 3);
      else if (symbol === 18) this.writeBits(codegen[i++]!, 7);
    }
  }

  private writeTokens(tokens: Uint32Array, count: number, literal: HuffmanCode, distance: HuffmanCode): void {
    const lengthCodeOf = lengthCodeTable();
    const literalCodes = literal.codes;
    const literalLengths = literal.lengths;
    const distanceCodes = distance.codes;
    const distanceLengths = distance.lengths;
    const out = this.out;
    let pos = this.pos;
    let bits = this.bits;
    let bitCount = this.bitCount;
    for (let i = 0; i < count; i++) {
      const token = tokens[i]!;
      if (token < MATCH_FLAG) {
        bits |= literalCodes[token]! << bitCount;
        bitCount += literalLengths[token]!;
      } else {
        const xlength = (token - MATCH_FLAG) >>> LENGTH_SHIFT;
        const lengthCode = lengthCodeOf[xlength]!;
        const symbol = FIRST_LENGTH_SYMBOL + lengthCode;
        bits |= literalCodes[symbol]! << bitCount;
        bitCount += literalLengths[symbol]!;
        const lengthExtra = LENGTH_EXTRA_BITS[lengthCode]!;
        if (lengthExtra > 0) {
          bits |= (xlength - LENGTH_BASE[lengthCode]!) << bitCount;
          bitCount += lengthExtra;
        }
        while (bitCount >= 8) {
          out[pos++] = bits;
          bits >>>= 8;
          bitCount -= 8;
        }
        const xoffset = token & OFFSET_MASK;
        const code = distanceCode(xoffset);
        bits |= distanceCodes[code]! << bitCount;
        bitCount += distanceLengths[code]!;
        const distanceExtra = DISTANCE_EXTRA_BITS[code]!;
        if (distanceExtra > 0) {
          while (bitCount >= 8) {
            out[pos++] = bits;
            bits >>>= 8;
            bitCount -= 8;
          }
          bits |= (xoffset - DISTANCE_BASE[code]!) << bitCount;
          bitCount += distanceExtra;
        }
      }
      while (bitCount >= 8) {
        out[pos++] = bits;
        bits >>>= 8;
        bitCount -= 8;
      }
    }
    this.pos = pos;
    this.bits = bits;
    this.bitCount = bitCount;
  }

  /** Appends `count` (≤ 16) bits of `value`, least significant first. */
  private writeBits(value: number, count: number): void {
    this.bits |= value << this.bitCount;
    this.bitCount += count;
    while (this.bitCount >= 8) {
      this.out[this.pos++] = this.bits;
      this.bits >>>= 8;
      this.bitCount -= 8;
    }
  }

  private alignToByte(): void {
    if (this.bitCount > 0) this.out[this.pos++] = this.bits;
    this.bits = 0;
    this.bitCount = 0;
  }

  private reserve(bytes: number): void {
    if (this.pos + bytes <= this.out.length) return;
    const grown = new Uint8Array(Math.max(this.out.length * 2, this.pos + bytes));
    grown.set(this.out.subarray(0, this.pos));
    this.out = grown;
  }
}
