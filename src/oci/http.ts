import { HomelabError } from "../errors/index.js";
import { type DownloadTimeouts, describeFetchError, type Fetch, TimedRequest } from "../image/download.js";

/** What to do when a registry cannot be reached or refuses: the same advice for every pull error. */
export const PULL_FIX =
  "Check the network (and the proxy, if there is one) and the image reference, then run the command again. " +
  "Without internet access, bring the image with `homelab artifacts ENV --from DIR`.";

export function pullFailed(message: string, fix = PULL_FIX): HomelabError {
  return new HomelabError("image-pull-failed", message, { fix });
}

/**
 * A URL fit for messages: origin and path only. Blob redirects (ghcr.io sends them to its storage
 * host) carry signatures in the query string, and those are credentials.
 */
export function printableUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return url.split("?")[0] ?? url;
  }
}

export interface SentRequest {
  readonly response: Response;
  /** Armed for the body: the caller reads it with `readBody` (which ends the timer) or cancels it. */
  readonly timed: TimedRequest;
  /** Where the answer came from, after any redirects this code followed. */
  readonly url: string;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;

/**
 * One GET under the timeouts. The global fetch follows redirects itself (and drops
 * `Authorization` on a cross-origin hop, as the Fetch standard says); an injected fetch that
 * hands back a 3xx is followed here, with the same rule. Blob GETs may redirect
 * (distribution-spec spec.md, "Pulling blobs": clients SHOULD follow a 307).
 */
export async function send(
  fetch: Fetch,
  url: string,
  headers: Readonly<Record<string, string>>,
  timeouts: DownloadTimeouts | undefined,
): Promise<SentRequest> {
  let current = url;
  let currentHeaders: Record<string, string> = { ...headers };
  for (let hop = 0; ; hop++) {
    const timed = new TimedRequest(timeouts);
    let response: Response;
    try {
      response = await fetch(current, { headers: currentHeaders, signal: timed.signal });
    } catch (error) {
      timed.done();
      const why = timed.timedOut ? timed.describe() : describeFetchError(error);
      throw pullFailed(`GET ${printableUrl(current)} failed: ${why}`);
    }
    timed.receiving();
    const location = response.headers.get("location");
    // A fetch that followed redirects itself says where it ended up in `response.url`.
    if (!REDIRECTS.has(response.status) || location === null)
      return { response, timed, url: response.url || current };
    await discard(response, timed);
    if (hop >= MAX_REDIRECTS)
      throw pullFailed(`GET ${printableUrl(url)} was redirected more than ${MAX_REDIRECTS} times`);
    let next: URL;
    try {
      next = new URL(location, current);
    } catch {
      throw pullFailed(`GET ${printableUrl(current)} redirected to a Location that is not a URL`);
    }
    if (next.origin !== new URL(current).origin) {
      const { Authorization: _dropped, ...rest } = currentHeaders;
      currentHeaders = rest;
    }
    current = next.href;
  }
}

export async function discard(response: Response, timed: TimedRequest): Promise<void> {
  timed.done();
  await response.body?.cancel().catch(() => undefined);
}

export type BodyRead = { readonly bytes: Buffer; readonly tooLarge: false } | { readonly tooLarge: true };

/**
 * Reads a body of at most `limit` bytes, stopping (and closing the connection) at the first
 * byte over it, so that a server cannot make homelab hold more than it expects. With
 * `exactSize`, the bytes go into one buffer of that size instead of a list of chunks.
 */
export async function readBody(
  sent: SentRequest,
  limit: number,
  options: { readonly exactSize?: boolean } = {},
): Promise<BodyRead> {
  const { response, timed } = sent;
  const reader = response.body?.getReader();
  if (!reader) {
    timed.done();
    return { bytes: Buffer.alloc(0), tooLarge: false };
  }
  const target = options.exactSize ? Buffer.allocUnsafe(limit) : undefined;
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      timed.progress();
      if (total + value.byteLength > limit) {
        await reader.cancel().catch(() => undefined);
        return { tooLarge: true };
      }
      if (target) target.set(value, total);
      else chunks.push(value);
      total += value.byteLength;
    }
  } catch (error) {
    const why = timed.timedOut ? timed.describe() : describeFetchError(error);
    throw pullFailed(`GET ${printableUrl(sent.url)} broke off after ${total} bytes: ${why}`);
  } finally {
    timed.done();
  }
  return { bytes: target ? target.subarray(0, total) : Buffer.concat(chunks, total), tooLarge: false };
}

/** `MANIFEST_UNKNOWN: manifest unknown` from a registry's error body (distribution-spec spec.md, "Error Codes"). */
export function registryErrorSummary(body: Buffer): string | undefined {
  try {
    const parsed = JSON.parse(body.toString("utf8")) as { errors?: { code?: unknown; message?: unknown }[] };
    const first = Array.isArray(parsed.errors) ? parsed.errors[0] : undefined;
    if (!first) return undefined;
    const text = [first.code, first.message]
      .filter((part) => typeof part === "string" && part !== "")
      .join(": ");
    return text === "" ? undefined : text.slice(0, 200);
  } catch {
    return undefined;
  }
}
