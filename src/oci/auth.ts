/**
 * Anonymous bearer tokens, as Docker Hub and ghcr.io hand them out (distribution/distribution
 * docs/spec/auth/token.md, "How to authenticate"): a 401 carries
 * `WWW-Authenticate: Bearer realm="…",service="…",scope="…"`; the client GETs
 * `<realm>?service=…&scope=…` and reads `token` (or `access_token`, its OAuth 2.0 name) from the
 * JSON answer, then repeats the request with `Authorization: Bearer <token>`.
 */
export interface BearerChallenge {
  readonly realm: string;
  readonly service?: string;
  readonly scope?: string;
}

export type Challenge =
  | { readonly kind: "bearer"; readonly challenge: BearerChallenge }
  | { readonly kind: "other"; readonly scheme: string }
  | { readonly kind: "none" };

/** Reads the first challenge of a WWW-Authenticate header (RFC 7235 auth-params, quoted or not). */
export function parseChallenge(header: string | null): Challenge {
  const text = header?.trim() ?? "";
  if (text === "") return { kind: "none" };
  const scheme = /^([A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]*)/.exec(text)?.[1];
  if (!scheme) return { kind: "none" };
  if (scheme.toLowerCase() !== "bearer") return { kind: "other", scheme };
  const params = new Map<string, string>();
  const pattern = /([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))/g;
  for (const match of text.slice(scheme.length).matchAll(pattern)) {
    const key = (match[1] ?? "").toLowerCase();
    if (!params.has(key))
      params.set(key, match[2] !== undefined ? match[2].replace(/\\(.)/g, "$1") : (match[3] ?? ""));
  }
  const realm = params.get("realm");
  if (!realm) return { kind: "none" };
  const service = params.get("service");
  const scope = params.get("scope");
  return {
    kind: "bearer",
    challenge: { realm, ...(service ? { service } : {}), ...(scope ? { scope } : {}) },
  };
}

/** The pull scope of a repository (token.md, "Requesting a Token": `repository:<name>:pull`). */
export function pullScope(repository: string): string {
  return `repository:${repository}:pull`;
}

/** The token request URL, or undefined when the realm is not an http(s) URL. */
export function tokenUrl(challenge: BearerChallenge, repository: string): URL | undefined {
  let url: URL;
  try {
    url = new URL(challenge.realm);
  } catch {
    return undefined;
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return undefined;
  if (challenge.service) url.searchParams.set("service", challenge.service);
  url.searchParams.set("scope", challenge.scope ?? pullScope(repository));
  return url;
}

/** `token`, else `access_token`, from a token endpoint's JSON; undefined when neither is a string. */
export function tokenFromResponse(body: unknown): string | undefined {
  if (typeof body !== "object" || body === null) return undefined;
  const record = body as Record<string, unknown>;
  for (const key of ["token", "access_token"]) {
    const value = record[key];
    if (typeof value === "string" && value !== "") return value;
  }
  return undefined;
}
