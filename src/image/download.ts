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
  let resumed = false;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    if (attempt > 1) await sleep(Math.min(1000 * 2 ** (attempt - 2), 8000));
    const offset = await sizeOf(partPath);
    let response: Response;
    try {
      response = await options.fetch(url, {
        headers: offset > 0 ? { Range: `bytes=${offset}-` } : {},
        ...(options.signal ? { signal: options.signal } : {}),
      });
    } catch (error) {
      lastReason = describeFetchError(error);
      continue;
    }
    let append = false;
    let total: number | undefined;
    if (offset > 0 && response.status === 416) {
      await response.body?.cancel();
      const range = parseContentRange(response.headers.get("content-range"));
      if (range?.total === offset) return { bytes: offset, resumed: true, attempts: attempt };
      await truncate(partPath, 0); // the .part is longer than the file: start over
      lastReason = "the partial download did not fit the file on the server";
      continue;
    }
    if (response.status === 206 && offset > 0) {
      const range = parseContentRange(response.headers.get("content-range"));
      if (range?.start !== offset) {
        await response.body?.cancel();
        await truncate(partPath, 0);
        lastReason = `the server answered a resume with the wrong range (${response.headers.get("content-range") ?? "no Content-Range"})`;
        continue;
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
      lastReason = reason;
      continue;
    }
    if (!response.body) {
      lastReason = "the response had no body";
      continue;
    }
    let done = append ? offset : 0;
    options.onProgress?.(done, total);
    const count = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
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
      lastReason = `the connection broke after ${done} bytes (${describeFetchError(error)})`;
      continue;
    }
    const size = await sizeOf(partPath);
    if (total !== undefined && size !== total) {
      lastReason = `got ${size} of ${total} bytes`;
      continue;
    }
    return { bytes: size, resumed, attempts: attempt };
  }
  throw failed(url, lastReason, partPath);
}
