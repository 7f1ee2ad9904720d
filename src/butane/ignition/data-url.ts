/**
 * Whether vincent-petithory/dataurl's `DecodeString` (what Ignition validates `data:` sources
 * with) accepts a URL, and its error message word for word when it does not: its lexer, the
 * parameter unescaping, and Go's standard base64 decoder.
 */
const TSPECIALS = new Set([...'()<>@,;:\\"/[]?=']);
const isControl = (c: number): boolean => c < 0x20 || (c >= 0x7f && c <= 0x9f);
const isSpace = (c: number): boolean => c === 0x20 || (c >= 0x09 && c <= 0x0d);

function isTokenRune(c: number): boolean {
  return c <= 0x7f && !isControl(c) && !isSpace(c) && !TSPECIALS.has(String.fromCharCode(c));
}

/** The data part is checked as a whole (it can be megabytes): the lexer's character classes. */
const BASE64_DATA = /^[A-Za-z0-9+/=\n]*$/;
// Printable ASCII but space and < > # " { } | \ ^ [ ] `
const URL_DATA = /^[!$-;=?-Z_a-z~]*$/;
const CANONICAL_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

const isHex = (c: string | undefined): boolean => c !== undefined && /^[0-9a-fA-F]$/.test(c);

/** rfc2396.Unescape; its invalid-escape message names the `%`, as the library does. */
function rfc2396Error(s: string): string | undefined {
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) > 0x7f) return "rfc2396: non-ASCII char detected";
    if (s[i] !== "%") continue;
    for (const j of [i + 1, i + 2]) {
      if (j >= s.length) return "rfc2396: unexpected end of unescape sequence";
      if (!isHex(s[j])) return "rfc2396: invalid char 0x25 in unescape sequence";
    }
    i += 2;
  }
  return undefined;
}

/** strconv.Unquote of a double-quoted string's body: only Go's escapes, no newline. */
function unquoteError(body: string): string | undefined {
  if (body.includes("\n")) return "invalid syntax";
  for (let i = 0; i < body.length; i++) {
    if (body[i] !== "\\") continue;
    const e = body[++i];
    if (e !== undefined && 'abfnrtv\\"'.includes(e)) continue;
    const need = e === "x" ? 2 : e === "u" ? 4 : e === "U" ? 8 : 0;
    if (need > 0) {
      const hex = body.slice(i + 1, i + 1 + need);
      if (hex.length !== need || !/^[0-9a-fA-F]+$/.test(hex)) return "invalid syntax";
      const value = Number.parseInt(hex, 16);
      if (e !== "x" && (value > 0x10ffff || (value >= 0xd800 && value < 0xe000))) return "invalid syntax";
      i += need;
      continue;
    }
    const octal = body.slice(i, i + 3);
    if (/^[0-7]{3}$/.test(octal) && Number.parseInt(octal, 8) <= 255) {
      i += 2;
      continue;
    }
    return "invalid syntax";
  }
  return undefined;
}

const BASE64_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** Go's base64.StdEncoding.DecodeString as a check: `illegal base64 data at input byte N`. */
export function goBase64Error(src: string): string | undefined {
  const corrupt = (at: number) => `illegal base64 data at input byte ${at}`;
  const newline = (c: string | undefined) => c === "\n" || c === "\r";
  let si = 0;
  while (si < src.length) {
    let j = 0;
    for (; j < 4; j++) {
      if (si === src.length) {
        if (j === 0) return undefined;
        return corrupt(si - j);
      }
      const c = src[si] as string;
      si++;
      if (BASE64_ALPHABET.includes(c)) continue;
      if (newline(c)) {
        j--;
        continue;
      }
      if (c !== "=") return corrupt(si - 1);
      if (j < 2) return corrupt(si - 1);
      if (j === 2) {
        while (si < src.length && newline(src[si])) si++;
        if (si === src.length) return corrupt(src.length);
        if (src[si] !== "=") return corrupt(si - 1);
        si++;
      }
      while (si < src.length && newline(src[si])) si++;
      return si < src.length ? corrupt(si) : undefined;
    }
  }
  return undefined;
}

/** The error `dataurl.DecodeString(url)` returns, or undefined when it decodes. */
export function dataUrlError(url: string): string | undefined {
  if (!url.startsWith("data:")) return "missing data prefix";
  let pos = "data:".length;
  const at = () => (pos < url.length ? (url.codePointAt(pos) as number) : -1);
  const next = () => {
    const c = at();
    if (c >= 0) pos += c > 0xffff ? 2 : 1;
    return c;
  };
  const COMMA = 0x2c;
  const SEMI = 0x3b;
  const SLASH = 0x2f;
  const EQUAL = 0x3d;
  const QUOTE = 0x22;
  let base64 = false;
  let start = pos;
  const text = (from: number) => url.slice(from, pos);

  // Media type (optional), then parameters, then the comma.
  let c = next();
  if (c !== SEMI && c !== COMMA) {
    if (c === -1) return "missing comma before data";
    // After an "x" the next character is taken unchecked: "x-" starts an extension type.
    let xToken = false;
    if (c === 0x78 || c === 0x58) xToken = next() === 0x2d;
    else if (!isTokenRune(c)) return "invalid character after data prefix";
    for (;;) {
      const r = next();
      if (r === SLASH) {
        pos--;
        const type = text(start);
        if (!xToken && !/^(text|image|audio|video|application|message|multipart)/.test(type))
          return "invalid media type";
        break;
      }
      if (r === -1) return "missing media type slash";
      if (!isTokenRune(r)) return "invalid character for media type";
    }
    next(); // the slash
    for (;;) {
      const r = next();
      if (r === SEMI || r === COMMA) {
        pos--;
        break;
      }
      if (r === -1) return "incomplete media type";
      if (!isTokenRune(r)) return "invalid character for media subtype";
    }
    c = next();
    if (c === -1) return "missing comma before data";
    if (c !== SEMI && c !== COMMA) return "expected semicolon or comma";
  }
  while (c === SEMI) {
    // A parameter: attribute=value, or the final "base64" before the comma.
    const r = next();
    if (r === -1 || r === EQUAL || r === COMMA) return "unterminated parameter sequence";
    if (!isTokenRune(r)) return "invalid character for parameter attribute";
    start = pos - 1;
    let attrEnd: "equal" | "comma";
    for (;;) {
      const a = next();
      if (a === EQUAL) {
        attrEnd = "equal";
        break;
      }
      if (a === COMMA) {
        attrEnd = "comma";
        break;
      }
      if (a === -1) return "unterminated parameter sequence";
      if (!isTokenRune(a)) return "invalid character for parameter attribute";
    }
    if (attrEnd === "comma") {
      pos--;
      const value = text(start);
      if (value !== "base64") return `expected base64, got ${value}`;
      base64 = true;
      c = next();
      break;
    }
    const v = next();
    if (v === QUOTE) {
      start = pos;
      for (;;) {
        const q = next();
        if (q === -1) return "unclosed quoted string";
        if (q === 0x5c) {
          // End of input counts as ASCII here, so it ends as an unclosed string.
          if (next() > 0x7f) return "invalid escaped character";
          continue;
        }
        if (q === QUOTE) break;
        if (q > 0x7f) return "invalid character for parameter value";
      }
      pos--;
      const error = unquoteError(text(start));
      if (error) return error;
      next(); // the closing quote
    } else {
      if (v === -1) return "missing comma before data";
      if (!isTokenRune(v)) return "invalid character for parameter value";
      start = pos - 1;
      for (;;) {
        const p = next();
        if (p === SEMI || p === COMMA) {
          pos--;
          break;
        }
        if (p === -1) return "missing comma before data";
        if (!isTokenRune(p)) return "invalid character for parameter value";
      }
      const error = rfc2396Error(text(start));
      if (error) return error;
    }
    c = next();
    if (c === -1) return "missing comma before data";
    if (c !== SEMI && c !== COMMA) return "expected semicolon or comma";
  }
  // c is the comma; the data follows.
  const data = url.slice(pos);
  if (!(base64 ? BASE64_DATA : URL_DATA).test(data)) return "invalid data character";
  if (data === "") return undefined;
  if (base64) return CANONICAL_BASE64.test(data) ? undefined : goBase64Error(data);
  return data.includes("%") ? rfc2396Error(data) : undefined;
}
