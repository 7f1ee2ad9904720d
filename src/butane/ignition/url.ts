/** Ignition's URL checks (`validateURL`), with Go net/url's notion of an unparsable URL. */
export const ERR_INVALID_URL = "unable to parse url";
export const ERR_INVALID_SCHEME = "invalid url scheme";

/** The scheme of a URL as net/url parses it, or undefined when net/url would fail. */
export function urlScheme(raw: string): string | undefined {
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return undefined;
  }
  if (/%(?![0-9a-fA-F]{2})/.test(raw.split("#")[0] ?? "")) return undefined;
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(raw);
  if (m?.[1]) return m[1].toLowerCase();
  if (raw.startsWith(":")) return undefined;
  const firstSegment = raw.split("/")[0] ?? "";
  if (firstSegment.includes(":")) return undefined;
  return "";
}

export function validateUrl(raw: string, schemes: ReadonlySet<string>): string | undefined {
  const scheme = urlScheme(raw);
  if (scheme === undefined) return ERR_INVALID_URL;
  if (!schemes.has(scheme)) return ERR_INVALID_SCHEME;
  if (scheme === "data" && !/^data:[^,]*,/is.test(raw)) return "missing data prefix";
  return undefined;
}
