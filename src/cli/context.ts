import { createInterface } from "node:readline/promises";
import { type HomelabPaths, resolvePaths } from "./paths.js";
import { HumanReporter, JsonReporter, type Reporter } from "./reporter/index.js";
import { findRepositoryRoot } from "./repository-root.js";

/** Options every command accepts. */
export interface CommonOptions {
  readonly json?: boolean;
  readonly color?: boolean;
  /** Find the repository above the current directory, and say so when it is not here. */
  readonly findRoot?: boolean;
}

/**
 * Everything a command may take from the outside world. The CLI is the only layer that reads
 * environment variables, the clock, the terminal; commands receive them here and pass plain
 * values into the library.
 */
export interface CliContext {
  /** The repository root (environments/, homelab.lock.json, .homelab/): where names resolve. */
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  readonly paths: HomelabPaths;
  readonly reporter: Reporter;
  readonly stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  /** True when a human can answer questions (stdin and stderr are terminals, not --json). */
  readonly interactive: boolean;
  /** Milliseconds, monotonic enough for durations. */
  now(): number;
  /** Wall-clock time, for timestamps in file names. */
  date(): Date;
  /** Asks a question on the terminal; only valid when `interactive`. */
  ask(question: string): Promise<string>;
}

export function createContext(options: CommonOptions, io = process): CliContext {
  const env = io.env;
  const invocationDir = io.cwd();
  const root = options.findRoot ? findRepositoryRoot(invocationDir) : undefined;
  const cwd = root ?? invocationDir;
  const stderr = io.stderr;
  const color =
    options.color !== false && stderr.isTTY === true && env.NO_COLOR === undefined && env.TERM !== "dumb";
  const clock = () => performance.now();
  const reporter: Reporter = options.json
    ? new JsonReporter((line) => io.stdout.write(line), clock)
    : new HumanReporter({ stdout: io.stdout, stderr, color, clock });
  const interactive = !options.json && io.stdin.isTTY === true && stderr.isTTY === true;
  if (cwd !== invocationDir) {
    reporter.info(`Using the homelab repository at ${cwd} (above the current directory)`, { root: cwd });
  }
  return {
    cwd,
    env,
    // Relative HOMELAB_STATE_DIR and friends mean what they mean to the shell: from here.
    paths: resolvePaths(env, invocationDir),
    reporter,
    stdin: io.stdin,
    stdout: io.stdout,
    stderr,
    interactive,
    now: clock,
    date: () => new Date(),
    ask: async (question) => {
      const rl = createInterface({ input: io.stdin, output: stderr });
      try {
        return await rl.question(question);
      } finally {
        rl.close();
      }
    },
  };
}
