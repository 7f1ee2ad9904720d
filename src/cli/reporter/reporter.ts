import type { HomelabError, SourceLocation } from "../../errors/index.js";

/** A unit of visible work: a spinner in a terminal, start/end events with --json. */
export interface StepHandle {
  /** Replace the step's text while it runs (e.g. "waiting for /ping (attempt 4)"). */
  update(text: string): void;
}

/** A byte or item counter: a progress bar in a terminal, throttled events with --json. */
export interface ProgressHandle {
  update(done: number, total?: number): void;
  finish(): void;
}

export interface WarningInfo {
  readonly code?: string;
  readonly where?: SourceLocation;
}

/**
 * How commands talk to the user. Commands never write to stdout/stderr directly, so that
 * every command supports `--json` (newline-delimited events on stdout) for free.
 * Human mode writes progress and messages to stderr and results to stdout.
 */
export interface Reporter {
  readonly json: boolean;
  info(message: string, data?: Record<string, unknown>): void;
  warn(message: string, info?: WarningInfo): void;
  success(message: string, data?: Record<string, unknown>): void;
  /** Runs `work` as a visible step; the step fails visibly when `work` throws. */
  step<T>(title: string, work: (step: StepHandle) => Promise<T>): Promise<T>;
  progress(title: string, total?: number, unit?: "bytes" | "items"): ProgressHandle;
  /** A command's result: `human` is printed to stdout in human mode, `data` is the JSON event. */
  result(data: Record<string, unknown>, human?: string): void;
  error(error: HomelabError): void;
  /** Raw passthrough of a child process's output (tofu). JSON mode wraps each line in an event. */
  stream(source: string, line: string): void;
}
