import { formatError, formatLocation, type HomelabError } from "../../errors/index.js";
import type { ProgressHandle, Reporter, StepHandle, WarningInfo } from "./reporter.js";

export interface HumanReporterOptions {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  readonly color: boolean;
  readonly clock: () => number;
}

const paint = (enabled: boolean, code: string, text: string): string =>
  enabled ? `\u001b[${code}m${text}\u001b[0m` : text;

function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

function formatDuration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)}ms` : `${(ms / 1000).toFixed(1)}s`;
}

/**
 * Terminal output. Spinners and bars only when stderr is a TTY; otherwise one plain line per
 * event so that logs (CI, `| tee`) stay readable.
 */
export class HumanReporter implements Reporter {
  readonly json = false;
  readonly #options: HumanReporterOptions;
  readonly #interactive: boolean;
  #activeLine = false;

  constructor(options: HumanReporterOptions) {
    this.#options = options;
    this.#interactive = options.stderr.isTTY === true;
  }

  #err(text: string): void {
    this.#clearLine();
    this.#options.stderr.write(text);
  }

  #clearLine(): void {
    if (this.#activeLine) {
      this.#options.stderr.write("\r\u001b[2K");
      this.#activeLine = false;
    }
  }

  #live(text: string): void {
    if (!this.#interactive) return;
    const width = this.#options.stderr.columns ?? 100;
    this.#options.stderr.write(`\r\u001b[2K${text.length > width - 1 ? `${text.slice(0, width - 2)}…` : text}`);
    this.#activeLine = true;
  }

  info(message: string): void {
    this.#err(`${message}\n`);
  }

  warn(message: string, info?: WarningInfo): void {
    const location = formatLocation(info?.where);
    const code = info?.code ? `[${info.code}]` : "";
    this.#err(`${paint(this.#options.color, "33", `warning${code}:`)} ${location ? `${location}: ` : ""}${message}\n`);
    if (info?.code) this.#err(`  docs: docs/common-errors/${info.code}.md\n`);
  }

  success(message: string): void {
    this.#err(`${paint(this.#options.color, "32", "✔")} ${message}\n`);
  }

  async step<T>(title: string, work: (step: StepHandle) => Promise<T>): Promise<T> {
    const started = this.#options.clock();
    const frames = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
    let text = title;
    let frame = 0;
    const render = () => {
      const elapsed = formatDuration(this.#options.clock() - started);
      this.#live(`${paint(this.#options.color, "36", frames[frame++ % frames.length] ?? "-")} ${text} ${paint(this.#options.color, "2", elapsed)}`);
    };
    if (this.#interactive) render();
    else this.#err(`▸ ${title}…\n`);
    const timer = this.#interactive ? setInterval(render, 100) : undefined;
    try {
      const value = await work({
        update: (next) => {
          text = `${title}: ${next}`;
          if (this.#interactive) render();
          else this.#err(`  ${next}\n`);
        },
      });
      if (timer) clearInterval(timer);
      this.#err(`${paint(this.#options.color, "32", "✔")} ${title} ${paint(this.#options.color, "2", `(${formatDuration(this.#options.clock() - started)})`)}\n`);
      return value;
    } catch (error) {
      if (timer) clearInterval(timer);
      this.#err(`${paint(this.#options.color, "31", "✖")} ${title}\n`);
      throw error;
    }
  }

  progress(title: string, total?: number, unit: "bytes" | "items" = "items"): ProgressHandle {
    const started = this.#options.clock();
    let lastPlain = 0;
    let knownTotal = total;
    let current = 0;
    const describe = (done: number) => {
      const amount = unit === "bytes" ? formatBytes(done) : String(done);
      if (!knownTotal) return `${title} ${amount}`;
      const ratio = Math.min(1, done / knownTotal);
      const width = 24;
      const filled = Math.round(ratio * width);
      const bar = `${"█".repeat(filled)}${"░".repeat(width - filled)}`;
      const of = unit === "bytes" ? formatBytes(knownTotal) : String(knownTotal);
      const seconds = (this.#options.clock() - started) / 1000;
      const rate = seconds > 0 && unit === "bytes" ? ` ${formatBytes(done / seconds)}/s` : "";
      return `${title} ${bar} ${(ratio * 100).toFixed(0).padStart(3)}% ${amount}/${of}${rate}`;
    };
    return {
      update: (done, newTotal) => {
        current = done;
        if (newTotal !== undefined) knownTotal = newTotal;
        if (this.#interactive) this.#live(describe(done));
        else {
          const now = this.#options.clock();
          if (now - lastPlain >= 5000) {
            lastPlain = now;
            this.#err(`  ${describe(done)}\n`);
          }
        }
      },
      finish: () => this.#err(`${paint(this.#options.color, "32", "✔")} ${describe(current)}\n`),
    };
  }

  result(_data: Record<string, unknown>, human?: string): void {
    this.#clearLine();
    if (human !== undefined) this.#options.stdout.write(human.endsWith("\n") || human === "" ? human : `${human}\n`);
  }

  error(error: HomelabError): void {
    const text = formatError(error);
    this.#err(this.#options.color ? text.replace(/^error(\[[^\]]+\])?/, (m) => paint(true, "31;1", m)) : text);
  }

  stream(_source: string, line: string): void {
    this.#err(`${line}\n`);
  }
}
