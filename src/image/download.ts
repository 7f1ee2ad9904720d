import { createWriteStream } from "node:fs";
import { mkdir, stat, truncate } from "node:fs/promises";
import { dirname } from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { HomelabError } from "../errors/index.js";

/** The fetch homelab uses: the global one in the CLI, any compatible function in tests. */
export type Fetch = (
  url: string,
  init?: { headers?: Record<string, string>; signal?: AbortSignal },
) => Promise<Response>;

/**
 * Bounds on a download, so that a server that stops answering ends in an error instead of a
 * hang. Defaults: 30 s until the response's headers, 60 s without a single byte of the body.
 */
export interface DownloadTimeouts {
  /** From sending the request until the response's status and headers arrive. */
  readonly requestMs?: number;
  /** The longest wait for the next bytes of the body. */
  readonly idleMs?: number;
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
export const DEFAULT_IDLE_TIMEOUT_MS = 60_000;

export type TimeoutKind = "request" | "idle";

/**
 * One request under the timeouts: `signal` aborts when the headers take longer than
 * `requestMs` (armed at once) or when the body stalls longer than `idleMs` (armed by
 * `receiving()` and re-armed by every `progress()`); `timedOut` says which one fired.
 */
export class TimedRequest {
  readonly signal: AbortSignal;
  timedOut: TimeoutKind | undefined;
  readonly #controller = new AbortController();
  readonly #requestMs: number;
  readonly #idleMs: number;
  #timer: NodeJS.Timeout | undefined;

  constructor(timeouts: DownloadTimeouts = {}, outer?: AbortSignal) {
    this.#requestMs = timeouts.requestMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.#idleMs = timeouts.idleMs ?? DEFAULT_IDLE_TIMEOUT_MS;
    this.signal = outer ? AbortSignal.any([outer, this.#controller.signal]) : this.#controller.signal;
    this.#arm(this.#requestMs, "request");
  }

  #arm(ms: number, kind: TimeoutKind): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.timedOut = kind;
      this.#controller.abort(new Error(`${kind} timeout after ${ms} ms`));
    }, ms);
  }

  /** The headers are in: from now on, the body must keep coming. */
  receiving(): void {
    this.#arm(this.#idleMs, "idle");
  }

  progress(): void {
    if (this.timedOut === undefined) this.#arm(this.#idleMs, "idle");
  }

  done(): void {
    clearTimeout(this.#timer);
  }

  /** A readable description of what timed out, for messages. */
  describe(): string {
    return this.timedOut === "request"
      ? `no response within ${Math.round(this.#requestMs / 100) / 10}s`
      : `no data for ${Math.round(this.#idleMs / 100) / 10}s`;
  }
}

/** The error for a download that timed out, with the resume hint when there is a .part. */
export function downloadTimeoutError(url: string, what: string, partPath?: string): HomelabError {
  return new HomelabError("image-download-timeout", `downloading ${url} stalled: ${what}`, {
    fix:
      "The server (or a proxy on the way) stopped answering. Check the network and run the command again" +
      (partPath ? `: the download resumes from ${partPath}.` : "."),
  });
}

export interface ResumableDownloadOptions {
  readonly url: string;
  /** The `.part` file: appended to when the server honours Range, rewritten when it does not. */
  readonly partPath: string;
  readonly fetch: Fetch;
  /** Bytes so far (including what an earlier run left in the .part) and the total when known. */
  readonly onProgress?: (done: number, total: number | undefined) => void;
  /** Tries within this call; a dropped connection resumes from the bytes on disk. Default 4. */
  readonly maxAttempts?: number;
  /** Waits between tries; default a real timer (tests pass a no-op). */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly signal?: AbortSignal;
  readonly timeouts?: DownloadTimeouts;
}

export interface DownloadResult {
  readonly bytes: number;
  /** True when some of the bytes came from an earlier, interrupted download. */
  readonly resumed: boolean;
  readonly attempts: number;
}

/** A fetch failure with its underlying cause (undici says only "fetch failed"; the cause says why). */
export function describeFetchError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const cause =
    error instanceof Error ? (error.cause as { code?: string; message?: string } | undefined) : undefined;
  const detail = cause?.code ?? cause?.message;
  return detail && !message.includes(detail) ? `${message} (${detail})` : message;
}

/** Parses `Content-Range: bytes 100-199/1000` (or the unsatisfied-range form with a star). */
export function parseContentRange(
  header: string | null,
): { start?: number; end?: number; total?: number } | undefined {
  if (!header) return undefined;
  const match = /^bytes\s+(?:(\d+)-(\d+)|\*)\/(\d+|\*)$/i.exec(header.trim());
  if (!match) return undefined;
  return {
    ...(match[1] !== undefined ? { start: Number(match[1]), end: Number(match[2]) } : {}),
    ...(match[3] !== "*" ? { total: Number(match[3]) } : {}),
  };
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

const failed = (url: string, reason: string, partPath: string) =>
  new HomelabError("image-download-failed", `downloading ${url} failed: ${reason}`, {
    fix: `Check the network and run the command again: the download resumes from ${partPath}.`,
  });

/**
 * Downloads `url` into `partPath`, resuming what is there. A resumed request asks for
 * `Range: bytes=<size>-` and accepts the answer only as `206` with a `Content-Range` that
 * starts at that size; anything else (a `200` with the whole file, a range from elsewhere)
 * restarts from zero, so a server that ignores Range cannot corrupt the file.
 * The caller verifies the result; this function only guarantees "the server's bytes, in order".
 */
export async function downloadResumable(options: ResumableDownloadOptions): Promise<DownloadResult> {
  const { url, partPath } = options;
  const maxAttempts = options.maxAttempts ?? 4;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  await mkdir(dirname(partPath), { recursive: true });
  let lastReason = "no attempt made";
  let lastTimedOut = false;
  let resumed = false;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    if (attempt > 1) await sleep(Math.min(1000 * 2 ** (attempt - 2), 8000));
    const timed = new TimedRequest(options.timeouts, options.signal);
    try {
      const outcome = await downloadAttempt(options, timed, attempt);
      if ("bytes" in outcome) return { ...outcome, resumed: outcome.resumed || resumed };
      resumed ||= outcome.resumedSoFar;
      lastReason = timed.timedOut ? timed.describe() : outcome.reason;
      lastTimedOut = timed.timedOut !== undefined;
    } finally {
      timed.done();
    }
  }
  if (lastTimedOut) throw downloadTimeoutError(url, lastReason, partPath);
  throw failed(url, lastReason, partPath);
}

type AttemptOutcome = DownloadResult | { readonly reason: string; readonly resumedSoFar: boolean };

async function downloadAttempt(
  options: ResumableDownloadOptions,
  timed: TimedRequest,
  attempt: number,
): Promise<AttemptOutcome> {
  const { url, partPath } = options;
  let resumed = false;
  const offset = await sizeOf(partPath);
  let response: Response;
  try {
    response = await options.fetch(url, {
      headers: offset > 0 ? { Range: `bytes=${offset}-` } : {},
      signal: timed.signal,
    });
  } catch (error) {
    return { reason: describeFetchError(error), resumedSoFar: false };
  }
  timed.receiving();
  let append = false;
  let total: number | undefined;
  if (offset > 0 && response.status === 416) {
    await response.body?.cancel();
    const range = parseContentRange(response.headers.get("content-range"));
    if (range?.total === offset) return { bytes: offset, resumed: true, attempts: attempt };
    await truncate(partPath, 0); // the .part is longer than the file: start over
    return { reason: "the partial download did not fit the file on the server", resumedSoFar: false };
  }
  if (response.status === 206 && offset > 0) {
    const range = parseContentRange(response.headers.get("content-range"));
    if (range?.start !== offset) {
      await response.body?.cancel();
      await truncate(partPath, 0);
      return {
        reason: `the server answered a resume with the wrong range (${response.headers.get("content-range") ?? "no Content-Range"})`,
        resumedSoFar: false,
      };
    }
    append = true;
    resumed = true;
    total = range.total;
  } else if (response.status === 200) {
    const length = response.headers.get("content-length");
    total = length !== null ? Number(length) : undefined;
  } else {
    await response.body?.cancel();
    const reason = `HTTP ${response.status} ${response.statusText}`.trim();
    if (
      response.status >= 400 &&
      response.status < 500 &&
      response.status !== 408 &&
      response.status !== 429
    ) {
      throw new HomelabError("image-download-failed", `downloading ${url} failed: ${reason}`, {
        fix:
          response.status === 404
            ? "Check that the Flatcar channel and version exist (https://www.flatcar.org/releases) and that the lock file names them right."
            : "Check the URL and your proxy settings, then run the command again.",
      });
    }
    return { reason, resumedSoFar: false };
  }
  if (!response.body) return { reason: "the response had no body", resumedSoFar: resumed };
  let done = append ? offset : 0;
  options.onProgress?.(done, total);
  const count = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      timed.progress();
      done += chunk.length;
      options.onProgress?.(done, total);
      callback(null, chunk);
    },
  });
  try {
    await pipeline(
      Readable.fromWeb(response.body as import("node:stream/web").ReadableStream<Uint8Array>),
      count,
      createWriteStream(partPath, { flags: append ? "a" : "w" }),
    );
  } catch (error) {
    return {
      reason: `the connection broke after ${done} bytes (${describeFetchError(error)})`,
      resumedSoFar: resumed,
    };
  }
  const size = await sizeOf(partPath);
  if (total !== undefined && size !== total)
    return { reason: `got ${size} of ${total} bytes`, resumedSoFar: resumed };
  return { bytes: size, resumed, attempts: attempt };
}
