/**
 * How Ignition reads unit and drop-in contents (shared/parse ParseUnitContents, i.e.
 * go-systemd v22 `unit.Deserialize`), ported for its verdict: the options it finds, or its
 * error word for word. The lexer reads through a 4096-byte bufio.Reader and refuses a line of
 * 2048 bytes or more only when that many bytes are buffered at a step, so the buffer is
 * simulated too.
 */
export interface UnitOption {
  readonly section: string;
  readonly name: string;
}

const BUFFER_SIZE = 4096;
const LINE_MAX = 2048;
const NEWLINE = 0x0a;
const RETURN = 0x0d;

class EofError extends Error {}

/** bufio.Reader over a byte string, with the fill behaviour the lexer's checks depend on. */
class BufferedReader {
  private r = 0;
  private w = 0;
  private eof = false;
  private lastRuneSize = -1;

  constructor(private readonly src: Buffer) {}

  buffered(): number {
    return this.w - this.r;
  }

  /** The next `n` buffered bytes contain a line end (only called with `n` bytes buffered). */
  peekHasNewline(n: number): boolean {
    for (let i = this.r; i < this.r + n; i++) {
      const b = this.src[i];
      if (b === NEWLINE || b === RETURN) return true;
    }
    return false;
  }

  private fill(): void {
    const end = Math.min(this.src.length, this.r + BUFFER_SIZE);
    if (end === this.w) this.eof = true;
    this.w = end;
  }

  private takeEof(): boolean {
    const was = this.eof;
    this.eof = false;
    return was;
  }

  /** A rune, or undefined at the end; an invalid UTF-8 byte reads as U+FFFD. */
  readRune(): number | undefined {
    while (
      this.w - this.r < 4 &&
      !fullRune(this.src, this.r, this.w) &&
      !this.eof &&
      this.w - this.r < BUFFER_SIZE
    )
      this.fill();
    this.lastRuneSize = -1;
    if (this.r === this.w) {
      this.takeEof();
      return undefined;
    }
    const [rune, size] = decodeRune(this.src, this.r, this.w);
    this.r += size;
    this.lastRuneSize = size;
    return rune;
  }

  unreadRune(): void {
    if (this.lastRuneSize > 0) this.r -= this.lastRuneSize;
    this.lastRuneSize = -1;
  }

  /** ReadBytes: up to and including `delim`; at the end, what is left and `eof`. */
  readBytes(delim: number): { bytes: Buffer; eof: boolean } {
    const start = this.r;
    let s = 0;
    for (;;) {
      const i = this.src.subarray(this.r + s, this.w).indexOf(delim);
      if (i >= 0) {
        this.r += s + i + 1;
        this.lastRuneSize = -1;
        return { bytes: this.src.subarray(start, this.r), eof: false };
      }
      if (this.eof) {
        this.r = this.w;
        this.takeEof();
        this.lastRuneSize = -1;
        return { bytes: this.src.subarray(start, this.r), eof: true };
      }
      if (this.buffered() >= BUFFER_SIZE) {
        // ErrBufferFull: ReadBytes collects the fragment and reads on.
        this.r = this.w;
        s = 0;
        continue;
      }
      s = this.w - this.r;
      this.fill();
    }
  }
}

function fullRune(src: Buffer, from: number, to: number): boolean {
  if (from >= to) return false;
  const b = src[from] as number;
  const need = b < 0x80 ? 1 : b < 0xe0 ? 2 : b < 0xf0 ? 3 : 4;
  return b < 0xc0 || to - from >= need || !continuationsValid(src, from, to);
}

function continuationsValid(src: Buffer, from: number, to: number): boolean {
  for (let i = from + 1; i < to; i++) if (((src[i] as number) & 0xc0) !== 0x80) return false;
  return true;
}

function decodeRune(src: Buffer, from: number, to: number): [number, number] {
  const b = src[from] as number;
  if (b < 0x80) return [b, 1];
  const need = b >= 0xc2 && b < 0xe0 ? 2 : b >= 0xe0 && b < 0xf0 ? 3 : b >= 0xf0 && b < 0xf5 ? 4 : 0;
  if (need === 0 || to - from < need) return [0xfffd, 1];
  const text = src.subarray(from, from + need).toString("utf8");
  const cp = text.codePointAt(0) ?? 0xfffd;
  if (cp === 0xfffd || text.length > (cp > 0xffff ? 2 : 1)) return [0xfffd, 1];
  return [cp, need];
}

/** unicode.IsSpace */
function isSpace(r: number): boolean {
  return (
    (r >= 0x09 && r <= 0x0d) ||
    r === 0x20 ||
    r === 0x85 ||
    r === 0xa0 ||
    (r >= 0x2000 && r <= 0x200a) ||
    r === 0x1680 ||
    r === 0x2028 ||
    r === 0x2029 ||
    r === 0x202f ||
    r === 0x205f ||
    r === 0x3000
  );
}

/** bytes.TrimSpace: Unicode white space off both ends. */
function trimSpace(line: Buffer): Buffer {
  let start = 0;
  while (start < line.length) {
    const [rune, size] = decodeRune(line, start, line.length);
    if (!isSpace(rune)) break;
    start += size;
  }
  let end = line.length;
  while (end > start) {
    let from = end - 1;
    while (from > start && ((line[from] as number) & 0xc0) === 0x80) from--;
    const [rune] = decodeRune(line, from, end);
    if (!isSpace(rune)) break;
    end = from;
  }
  return line.subarray(start, end);
}

function trimLineEnd(line: Buffer): Buffer {
  let end = line.length;
  if (end > 0 && line[end - 1] === NEWLINE) end--;
  if (end > 0 && line[end - 1] === RETURN) end--;
  return line.subarray(0, end);
}

/** Go's strconv.Quote, as `%q` prints a string. */
export function goQuote(text: string | Buffer): string {
  const bytes = typeof text === "string" ? Buffer.from(text, "utf8") : text;
  let out = '"';
  for (let i = 0; i < bytes.length; ) {
    const [rune, size] = decodeRune(bytes, i, bytes.length);
    const invalid = rune === 0xfffd && size === 1;
    i += size;
    if (invalid) {
      out += `\\x${(bytes[i - 1] as number).toString(16).padStart(2, "0")}`;
      continue;
    }
    const escapes: Record<number, string> = {
      7: "\\a",
      8: "\\b",
      12: "\\f",
      10: "\\n",
      13: "\\r",
      9: "\\t",
      11: "\\v",
    };
    if (rune === 0x22) out += '\\"';
    else if (rune === 0x5c) out += "\\\\";
    else if (escapes[rune]) out += escapes[rune];
    else if (rune < 0x20 || rune === 0x7f) out += `\\x${rune.toString(16).padStart(2, "0")}`;
    else if (rune < 0x7f || isPrintable(rune)) out += String.fromCodePoint(rune);
    else if (rune < 0x10000) out += `\\u${rune.toString(16).padStart(4, "0")}`;
    else out += `\\U${rune.toString(16).padStart(8, "0")}`;
  }
  return `${out}"`;
}

/** An approximation of unicode.IsPrint for non-ASCII runes: letters, marks, numbers, punctuation, symbols. */
function isPrintable(rune: number): boolean {
  return /[\p{L}\p{M}\p{N}\p{P}\p{S}]/u.test(String.fromCodePoint(rune));
}

type Step = () => Step | undefined;

/** The options of unit contents, or Ignition's `invalid unit content: …` error. */
export function parseUnitContents(contents: string): { options: UnitOption[] } | { error: string } {
  const buf = new BufferedReader(Buffer.from(contents, "utf8"));
  const options: UnitOption[] = [];
  const fail = (message: string): never => {
    throw new Error(message);
  };
  const toEol = (): { line: Buffer; eof: boolean } => {
    const { bytes, eof } = buf.readBytes(NEWLINE);
    return { line: trimLineEnd(bytes), eof };
  };
  const isComment = (r: number) => r === 0x23 || r === 0x3b;

  const ignoreLine =
    (next: Step): Step =>
    () => {
      for (;;) {
        let { line } = toEol();
        // One trailing space is forgiven before a continuing backslash.
        if (line[line.length - 1] === 0x20) line = line.subarray(0, line.length - 1);
        if (line[line.length - 1] !== 0x5c) break;
      }
      return next;
    };
  const sectionName: Step = () => {
    const { bytes, eof } = buf.readBytes(0x5d);
    if (eof) fail("unable to find end of section");
    const section = bytes.subarray(0, bytes.length - 1).toString("utf8");
    return () => {
      const garbage = trimSpace(toEol().line);
      if (garbage.length > 0) fail(`found garbage after section name : ${goQuote(garbage)}`);
      return nextSectionOrOption(section);
    };
  };
  const nextSection: Step = () => {
    const r = buf.readRune();
    if (r === undefined) return undefined;
    if (r === 0x5b) return sectionName;
    if (isComment(r)) return ignoreLine(nextSection);
    return nextSection;
  };
  const nextSectionOrOption =
    (section: string): Step =>
    () => {
      const r = buf.readRune();
      if (r === undefined) return undefined;
      if (isSpace(r)) return nextSectionOrOption(section);
      if (r === 0x5b) return sectionName;
      if (isComment(r)) return ignoreLine(nextSectionOrOption(section));
      buf.unreadRune();
      return optionName(section);
    };
  const optionName =
    (section: string): Step =>
    () => {
      let name = "";
      for (;;) {
        const r = buf.readRune();
        if (r === undefined) throw new EofError("EOF");
        if (r === NEWLINE || r === RETURN) fail("unexpected newline encountered while parsing option name");
        if (r === 0x3d) break;
        name += String.fromCodePoint(r);
      }
      return optionValue(section, name.trim());
    };
  const optionValue =
    (section: string, name: string): Step =>
    () => {
      for (;;) {
        const { line, eof } = toEol();
        if (trimSpace(line).length === 0) break;
        // A value continues on the next line after a trailing backslash.
        if (line[line.length - 1] !== 0x5c) break;
        if (!eof) return optionValue(section, name);
        break;
      }
      options.push({ section, name });
      return nextSectionOrOption(section);
    };

  try {
    let next: Step | undefined = nextSection;
    while (next) {
      if (buf.buffered() >= LINE_MAX && !buf.peekHasNewline(LINE_MAX))
        fail(`line too long (max ${LINE_MAX} bytes)`);
      next = next();
    }
  } catch (error) {
    return { error: `invalid unit content: ${(error as Error).message}` };
  }
  return { options };
}
