import type { ErrorCode } from "./codes.js";

/** Where in the user's input a problem was found. Every field is optional; give what is known. */
export interface SourceLocation {
  /** File as the user would type it (relative to the working directory where possible). */
  readonly file?: string;
  /** 1-based line. */
  readonly line?: number;
  /** 1-based column. */
  readonly column?: number;
  /** Field path inside the file, e.g. `agents.count` or `$.storage.files.0.path`. */
  readonly path?: string;
}

export interface HomelabErrorOptions {
  readonly where?: SourceLocation;
  /** What the user should do about it, one or more sentences. */
  readonly fix?: string;
  /** Further located problems of the same kind (e.g. every schema violation, not just the first). */
  readonly details?: readonly HomelabErrorDetail[];
  /** A few source lines around `where` with a caret (a code frame), printed under the headline. */
  readonly excerpt?: string;
  readonly cause?: unknown;
}

export interface HomelabErrorDetail {
  readonly message: string;
  readonly where?: SourceLocation;
}

/**
 * The only error type meant to reach the user. The CLI's error boundary prints it with its
 * code, location, fix and documentation page, and exits non-zero without a stack trace.
 * Anything else that escapes is a bug in homelab and is reported as such.
 */
export class HomelabError extends Error {
  readonly code: ErrorCode;
  readonly where: SourceLocation | undefined;
  readonly fix: string | undefined;
  readonly details: readonly HomelabErrorDetail[];
  readonly excerpt: string | undefined;

  constructor(code: ErrorCode, message: string, options: HomelabErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "HomelabError";
    this.code = code;
    this.where = options.where;
    this.fix = options.fix;
    this.details = options.details ?? [];
    this.excerpt = options.excerpt;
  }
}

export function isHomelabError(value: unknown): value is HomelabError {
  return value instanceof HomelabError;
}
