import { createRequire } from "node:module";
import type { SingleBar } from "cli-progress";
import type { Ora } from "ora";
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

export function formatBytes(bytes: number): string {
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
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  return `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1000)}s`;
}

/** The one live element on the terminal (a spinner or a bar), cleared around every log line. */
interface LiveLine {
  clear(): void;
  render(): void;
  /** Stops redrawing while a nested element (a bar inside a step) owns the line. */
  pause(): void;
  resume(): void;
}

/**
 * Terminal output. In a terminal, steps are ora spinners and byte counts cli-progress bars,
 * both loaded only then; otherwise one plain line per event, so that logs (CI, `| tee`) stay
 * readable. Messages printed while a spinner or bar runs clear it first and redraw it after.
 */
export class HumanReporter implements Reporter {
  readonly json = false;
  readonly #options: HumanReporterOptions;
  readonly #interactive: boolean;
  #live: LiveLine | undefined;

  constructor(options: HumanReporterOptions) {
    this.#options = options;
    // A terminal without a width (some pseudo-terminals) cannot redraw a line: use plain lines.
    this.#interactive = options.stderr.isTTY === true && (options.stderr.columns ?? 0) > 0;
  }

  #err(text: string): void {
    this.#live?.clear();
    this.#options.stderr.write(text);
    this.#live?.render();
  }

  #done(title: string, started: number): string {
    return `${title} ${paint(this.#options.color, "2", `(${formatDuration(this.#options.clock() - started)})`)}`;
  }

  info(message: string): void {
    this.#err(`${message}\n`);
  }

  warn(message: string, info?: WarningInfo): void {
    const location = formatLocation(info?.where);
    const code = info?.code ? `[${info.code}]` : "";
    let text = `${paint(this.#options.color, "33", `warning${code}:`)} ${location ? `${location}: ` : ""}${message}\n`;
    if (info?.code) text += `  docs: docs/common-errors/${info.code}.md\n`;
    this.#err(text);
  }

  success(message: string): void {
    this.#err(`${paint(this.#options.color, "32", "✔")} ${message}\n`);
  }

  async step<T>(title: string, work: (step: StepHandle) => Promise<T>): Promise<T> {
    const started = this.#options.clock();
    if (!this.#interactive) return this.#plainStep(title, started, work);
    const { default: ora } = await import("ora");
    const spinner: Ora = ora({
      text: title,
      stream: this.#options.stderr,
      color: "cyan",
      isEnabled: true,
      // ora would otherwise put stdin into raw mode, and a confirmation prompt may follow.
      discardStdin: false,
    });
    if (!this.#options.color) spinner.color = "white";
    const previous = this.#live;
    this.#live = {
      clear: () => spinner.clear(),
      render: () => spinner.render(),
      pause: () => spinner.stop(),
      resume: () => spinner.start(),
    };
    spinner.start();
    try {
      const value = await work({ update: (next) => (spinner.text = `${title}: ${next}`) });
      spinner.succeed(this.#done(title, started));
      return value;
    } catch (error) {
      spinner.fail(title);
      throw error;
    } finally {
      this.#live = previous;
    }
  }

  async #plainStep<T>(title: string, started: number, work: (step: StepHandle) => Promise<T>): Promise<T> {
    this.#err(`▸ ${title}…\n`);
    try {
      const value = await work({ update: (next) => this.#err(`  ${next}\n`) });
      this.#err(`✔ ${this.#done(title, started)}\n`);
      return value;
    } catch (error) {
      this.#err(`✖ ${title}\n`);
      throw error;
    }
  }

  progress(title: string, total?: number, unit: "bytes" | "items" = "items"): ProgressHandle {
    const started = this.#options.clock();
    const amount = (value: number) => (unit === "bytes" ? formatBytes(value) : String(value));
    let knownTotal = total;
    let current = 0;
    const summary = () => {
      const of = knownTotal ? `/${amount(knownTotal)}` : "";
      const seconds = (this.#options.clock() - started) / 1000;
      const rate = unit === "bytes" && seconds > 0 ? `, ${formatBytes(current / seconds)}/s` : "";
      return `${title} ${amount(current)}${of}${rate}`;
    };
    if (!this.#interactive) {
      let lastLine = Number.NEGATIVE_INFINITY;
      return {
        update: (done, newTotal) => {
          current = done;
          if (newTotal !== undefined) knownTotal = newTotal;
          const now = this.#options.clock();
          if (now - lastLine >= 5000) {
            lastLine = now;
            this.#err(`  ${summary()}\n`);
          }
        },
        finish: () => this.#err(`✔ ${summary()}\n`),
      };
    }
    // cli-progress is CommonJS: loaded synchronously, and only when a terminal shows the bar.
    const { SingleBar, Presets } = createRequire(import.meta.url)(
      "cli-progress",
    ) as typeof import("cli-progress");
    const bar: SingleBar = new SingleBar(
      {
        stream: this.#options.stderr,
        format: `${title} {bar} {percentage}% {value}/{total} {rate}`,
        formatValue: (value, _options, type) =>
          type === "value" || type === "total" ? amount(value) : String(value),
        hideCursor: true,
        clearOnComplete: true,
        barsize: 24,
        etaBuffer: 20,
        forceRedraw: false,
      },
      Presets.shades_classic,
    );
    const previous = this.#live;
    previous?.pause();
    const clearLine = () => this.#options.stderr.write("\r\u001b[2K");
    this.#live = {
      clear: clearLine,
      render: () => bar.render(),
      pause: clearLine,
      resume: () => bar.render(),
    };
    bar.start(knownTotal ?? 0, 0, { rate: "" });
    return {
      update: (done, newTotal) => {
        current = done;
        if (newTotal !== undefined && newTotal !== knownTotal) {
          knownTotal = newTotal;
          bar.setTotal(newTotal);
        }
        const seconds = (this.#options.clock() - started) / 1000;
        bar.update(done, { rate: unit === "bytes" && seconds > 0 ? `${formatBytes(done / seconds)}/s` : "" });
      },
      finish: () => {
        bar.stop();
        this.#live = previous;
        this.#err(`${paint(this.#options.color, "32", "✔")} ${summary()}\n`);
        previous?.resume();
      },
    };
  }

  result(_data: Record<string, unknown>, human?: string): void {
    if (human === undefined) return;
    this.#live?.clear();
    this.#options.stdout.write(human.endsWith("\n") || human === "" ? human : `${human}\n`);
    this.#live?.render();
  }

  error(error: HomelabError): void {
    const text = formatError(error);
    this.#err(
      this.#options.color ? text.replace(/^error(\[[^\]]+\])?/, (m) => paint(true, "31;1", m)) : text,
    );
  }

  stream(_source: string, line: string): void {
    this.#err(`${line}\n`);
  }
}
