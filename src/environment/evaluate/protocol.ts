import type { DataProblem, PlainData, PlainDataLimits } from "./plain-data.js";

/**
 * What the parent and the evaluator child say to each other. The request travels as the
 * child's only argument; answers come back as one JSON object per line on file descriptor 3,
 * never on stdout or stderr, which belong to whatever the environment files print.
 */

export interface EvaluationRequest {
  /** Absolute paths of .ts/.mts/.js/.mjs files, evaluated in this order. */
  readonly files: readonly string[];
  /** file: URL of jiti's ESM entry (the parent resolves it; the child may run from anywhere). */
  readonly jiti: string;
  /** Directory for jiti's compiled files (the only place the child may write), if any. */
  readonly cacheDir?: string;
  readonly limits: PlainDataLimits;
  /** Characters of printed output kept per file (the rest is counted, not kept). */
  readonly maxPrintedCharacters: number;
}

/** Something the file printed on stdout or stderr (through `process.stdout`/`console`). */
export interface PrintedOutput {
  /** The first characters printed, both streams in order. */
  readonly text: string;
  /** Characters printed in all, including those not kept. */
  readonly characters: number;
  /** Where in the file the first output was printed, when the stack says. */
  readonly at?: SourcePoint;
}

export interface SourcePoint {
  readonly line: number;
  readonly column: number;
}

/** What evaluating one file gave, as the child reports it. */
export type ChildOutcome =
  | { readonly kind: "data"; readonly value: PlainData }
  | { readonly kind: "unsupported"; readonly problems: readonly DataProblem[] }
  | { readonly kind: "no-default-export"; readonly exports: readonly string[] }
  | {
      readonly kind: "threw";
      readonly message: string;
      /** The file does not parse (babel's ParseError through jiti). */
      readonly syntax: boolean;
      readonly at?: SourcePoint;
    }
  | { readonly kind: "exit-called"; readonly exitCode: string; readonly at?: SourcePoint };

export type ChildMessage =
  | { readonly type: "start"; readonly index: number }
  | {
      readonly type: "outcome";
      readonly index: number;
      readonly outcome: ChildOutcome;
      readonly printed?: PrintedOutput;
    }
  | { readonly type: "done" };
