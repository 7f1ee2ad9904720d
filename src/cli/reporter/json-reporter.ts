import { errorEvent, type HomelabError } from "../../errors/index.js";
import type { ProgressHandle, Reporter, StepHandle, WarningInfo } from "./reporter.js";

type Write = (line: string) => void;

/** `--json`: one JSON object per line on stdout, each with a `type`. */
export class JsonReporter implements Reporter {
  readonly json = true;
  readonly #write: Write;
  readonly #clock: () => number;

  constructor(write: Write, clock: () => number) {
    this.#write = write;
    this.#clock = clock;
  }

  #emit(event: Record<string, unknown>): void {
    this.#write(`${JSON.stringify(event)}\n`);
  }

  info(message: string, data?: Record<string, unknown>): void {
    this.#emit({ type: "info", message, ...data });
  }

  warn(message: string, info?: WarningInfo): void {
    this.#emit({ type: "warning", message, ...info });
  }

  success(message: string, data?: Record<string, unknown>): void {
    this.#emit({ type: "success", message, ...data });
  }

  async step<T>(title: string, work: (step: StepHandle) => Promise<T>): Promise<T> {
    const started = this.#clock();
    this.#emit({ type: "step", status: "start", title });
    try {
      const value = await work({
        update: (text) => this.#emit({ type: "step", status: "update", title, text }),
      });
      this.#emit({ type: "step", status: "done", title, ms: Math.round(this.#clock() - started) });
      return value;
    } catch (error) {
      this.#emit({ type: "step", status: "failed", title, ms: Math.round(this.#clock() - started) });
      throw error;
    }
  }

  progress(title: string, total?: number, unit: "bytes" | "items" = "items"): ProgressHandle {
    let lastEmit = 0;
    let current = 0;
    let knownTotal = total;
    return {
      update: (done, newTotal) => {
        current = done;
        if (newTotal !== undefined) knownTotal = newTotal;
        const now = this.#clock();
        // Throttle: a 500 MB download must not print a million lines.
        if (now - lastEmit >= 1000) {
          lastEmit = now;
          this.#emit({ type: "progress", title, done: current, total: knownTotal, unit });
        }
      },
      finish: () =>
        this.#emit({ type: "progress", title, done: current, total: knownTotal, unit, finished: true }),
    };
  }

  result(data: Record<string, unknown>): void {
    this.#emit({ type: "result", ...data });
  }

  error(error: HomelabError): void {
    this.#emit(errorEvent(error));
  }

  stream(source: string, line: string): void {
    this.#emit({ type: "output", source, line });
  }
}
