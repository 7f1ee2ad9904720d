import { dataUrlError } from "./data-url.js";

/** Ignition's URL checks (`validateURL`), on top of Go's net/url parser, ported for validity. */
export const ERR_INVALID_URL = "unable to parse url";
export const ERR_INVALID_SCHEME = "invalid url scheme";
export const ERR_INVALID_S3_ARN = "invalid S3 ARN format";
export const ERR_INVALID_S3_VERSION_ID = "invalid S3 object VersionId";

/** The parts of a URL that Ignition's checks look at, as net/url's `Parse` splits them. */
export interface GoUrl {
  /** Lower-cased, "" when there is none. */
  readonly scheme: string;
  /** The rest of a rootless URL with a scheme (`data:,hi` has opaque `,hi`). */
  readonly opaque: string;
  readonly rawQuery: string;
}

const isHex = (c: string | undefined): boolean => c !== undefined && /^[0-9a-fA-F]$/.test(c);
const HOST_CHARS = /^[A-Za-z0-9\-_.~!$&'()*+,;=:[\]<>"]$/;

/** net/url `unescape` as a check: bad %-escapes, and in hosts, characters that need one. */
function validEscapes(s: string, mode: "host" | "zone" | "other"): boolean {
  for (let i = 0; i < s.length; ) {
    const c = s[i] as string;
    if (c === "%") {
      if (i + 2 >= s.length || !isHex(s[i + 1]) || !isHex(s[i + 2])) return false;
      const sequence = s.slice(i, i + 3);
      const value = Number.parseInt(s.slice(i + 1, i + 3), 16);
      // In a host, %-encoding is only for non-ASCII bytes (and %25 before a zone).
      if (mode === "host" && value >> 4 < 8 && sequence !== "%25") return false;
      if (mode === "zone" && sequence !== "%25" && value !== 0x20) {
        if (value >= 0x80 || !HOST_CHARS.test(String.fromCharCode(value))) return false;
      }
      i += 3;
      continue;
    }
    if ((mode === "host" || mode === "zone") && c.charCodeAt(0) < 0x80 && !HOST_CHARS.test(c)) return false;
    i++;
  }
  return true;
}

function validOptionalPort(port: string): boolean {
  return port === "" || /^:[0-9]*$/.test(port);
}

function validHost(host: string): boolean {
  if (host.startsWith("[")) {
    const close = host.lastIndexOf("]");
    if (close < 0 || !validOptionalPort(host.slice(close + 1))) return false;
    const zone = host.slice(0, close).indexOf("%25");
    if (zone >= 0)
      return (
        validEscapes(host.slice(0, zone), "host") &&
        validEscapes(host.slice(zone, close), "zone") &&
        validEscapes(host.slice(close), "host")
      );
  } else {
    const colon = host.lastIndexOf(":");
    if (colon >= 0 && !validOptionalPort(host.slice(colon))) return false;
  }
  return validEscapes(host, "host");
}

function validAuthority(authority: string): boolean {
  const at = authority.lastIndexOf("@");
  if (!validHost(at < 0 ? authority : authority.slice(at + 1))) return false;
  if (at < 0) return true;
  const userinfo = authority.slice(0, at);
  return /^[A-Za-z0-9\-._:~!$&'()*+,;=%@]*$/.test(userinfo) && validEscapes(userinfo, "other");
}

/** net/url `Parse`: the parts Ignition needs, or undefined where Go returns an error. */
export function parseGoUrl(raw: string): GoUrl | undefined {
  const hash = raw.indexOf("#");
  const main = hash < 0 ? raw : raw.slice(0, hash);
  if (hash >= 0 && !validEscapes(raw.slice(hash + 1), "other")) return undefined;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control bytes are what Go refuses
  if (/[\x00-\x1f\x7f]/.test(main)) return undefined;
  if (main === "*") return { scheme: "", opaque: "", rawQuery: "" };
  let scheme = "";
  let rest = main;
  for (let i = 0; i < main.length; i++) {
    const c = main[i] as string;
    if (/[a-zA-Z]/.test(c)) continue;
    if (/[0-9+\-.]/.test(c)) {
      if (i === 0) break;
      continue;
    }
    if (c === ":") {
      if (i === 0) return undefined; // missing protocol scheme
      scheme = main.slice(0, i).toLowerCase();
      rest = main.slice(i + 1);
    }
    break;
  }
  let rawQuery = "";
  if (rest.endsWith("?") && rest.indexOf("?") === rest.length - 1) rest = rest.slice(0, -1);
  else {
    const q = rest.indexOf("?");
    if (q >= 0) {
      rawQuery = rest.slice(q + 1);
      rest = rest.slice(0, q);
    }
  }
  if (!rest.startsWith("/")) {
    if (scheme !== "") return { scheme, opaque: rest, rawQuery };
    // Avoid confusion with malformed schemes, like cache_object:foo/bar.
    if ((rest.split("/")[0] ?? "").includes(":")) return undefined;
  }
  if (rest.startsWith("//") && (scheme !== "" || !rest.startsWith("///"))) {
    const authority = rest.slice(2);
    const slash = authority.indexOf("/");
    if (!validAuthority(slash < 0 ? authority : authority.slice(0, slash))) return undefined;
    rest = slash < 0 ? "" : authority.slice(slash);
  }
  if (!validEscapes(rest, "other")) return undefined;
  return { scheme, opaque: "", rawQuery };
}

/** The scheme of a URL as net/url parses it, or undefined when net/url would fail. */
export function urlScheme(raw: string): string | undefined {
  return parseGoUrl(raw)?.scheme;
}

/** `url.Query()["versionId"]`: present with an empty first value. */
function emptyVersionId(rawQuery: string): boolean {
  for (const part of rawQuery.split("&")) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    const key = eq < 0 ? part : part.slice(0, eq);
    let name: string;
    try {
      name = decodeURIComponent(key.replaceAll("+", " "));
    } catch {
      continue;
    }
    if (name === "versionId") {
      // The first value wins, as in Go's url.Values.
      if (eq < 0) return true;
      let value: string;
      try {
        value = decodeURIComponent(part.slice(eq + 1).replaceAll("+", " "));
      } catch {
        continue;
      }
      return value === "";
    }
  }
  return false;
}

/** aws-sdk-go's arn.IsARN plus Ignition's S3 checks. */
function arnError(url: GoUrl): string | undefined {
  const full = `${url.scheme}:${url.opaque}`;
  if (!full.startsWith("arn:") || full.split(":").length - 1 < 5) return ERR_INVALID_S3_ARN;
  const sections = full.split(":");
  const service = sections[2];
  const resource = sections.slice(5).join(":");
  if (service !== "s3") return ERR_INVALID_S3_ARN;
  const slashParts = full.split("/").length;
  if (resource.startsWith("accesspoint/") ? slashParts < 3 : slashParts < 2) return ERR_INVALID_S3_ARN;
  return emptyVersionId(url.rawQuery) ? ERR_INVALID_S3_VERSION_ID : undefined;
}

export function validateUrl(raw: string, schemes: ReadonlySet<string>): string | undefined {
  const url = parseGoUrl(raw);
  if (!url) return ERR_INVALID_URL;
  if (!schemes.has(url.scheme)) return ERR_INVALID_SCHEME;
  switch (url.scheme) {
    case "s3":
      return emptyVersionId(url.rawQuery) ? ERR_INVALID_S3_VERSION_ID : undefined;
    case "arn":
      return arnError(url);
    case "data":
      return dataUrlError(raw);
    default:
      return undefined;
  }
}
