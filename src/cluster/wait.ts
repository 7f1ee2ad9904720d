/**
 * Bounded waiting with visible progress. The clock and the sleep are parameters (the CLI
 * passes real ones; tests may pass their own), so nothing here reads time by itself.
 */
export interface WaitClock {
  /** Milliseconds, monotonic. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

export type AttemptOutcome<T> =
  | { readonly done: true; readonly value: T }
  | { readonly done: false; readonly problem: string };

export interface WaitProgress {
  readonly attempt: number;
  readonly elapsedMs: number;
  /** Why the last attempt was not yet good enough. */
  readonly problem: string;
}

export interface WaitOptions<T> {
  readonly timeoutMs: number;
  /** Pause between attempts (default 2 s). */
  readonly intervalMs?: number;
  readonly clock: WaitClock;
  /** One try; throwing ends the wait with that error (for problems waiting cannot fix). */
  readonly attempt: (attempt: number) => Promise<AttemptOutcome<T>>;
  /** After each unsuccessful attempt: `describeProgress(progress)` and the facts. */
  readonly onProgress?: (text: string, progress: WaitProgress) => void;
}

export type WaitResult<T> =
  | { readonly ok: true; readonly value: T; readonly attempts: number; readonly elapsedMs: number }
  | {
      readonly ok: false;
      readonly attempts: number;
      readonly elapsedMs: number;
      readonly lastProblem: string;
    };

/** Tries until `attempt` succeeds or `timeoutMs` has passed (always at least one attempt). */
export async function waitUntil<T>(options: WaitOptions<T>): Promise<WaitResult<T>> {
  const { clock } = options;
  const started = clock.now();
  const interval = options.intervalMs ?? 2000;
  let attempt = 0;
  let lastProblem = "no attempt made";
  for (;;) {
    attempt++;
    const outcome = await options.attempt(attempt);
    const elapsedMs = clock.now() - started;
    if (outcome.done) return { ok: true, value: outcome.value, attempts: attempt, elapsedMs };
    lastProblem = outcome.problem;
    const progress = { attempt, elapsedMs, problem: lastProblem };
    options.onProgress?.(describeProgress(progress), progress);
    const remaining = options.timeoutMs - elapsedMs;
    if (remaining <= 0) return { ok: false, attempts: attempt, elapsedMs, lastProblem };
    await clock.sleep(Math.min(interval, remaining));
  }
}

/** `attempt 4, 12s`: the text a step shows while waiting. */
export function describeProgress(progress: WaitProgress): string {
  return `attempt ${progress.attempt}, ${Math.round(progress.elapsedMs / 1000)}s: ${progress.problem}`;
}

/** A clock from the CLI's `now()` and real timers. */
export function realWaitClock(now: () => number): WaitClock {
  return { now, sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)) };
}
