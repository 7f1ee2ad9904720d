/**
 * Runs a homelab command module in-process, as the CLI would (commander parses the same
 * argv), with a context whose reporter records `--json` events and whose environment, paths,
 * terminal and answers are the test's.
 */
import { PassThrough } from "node:stream";
import { Command } from "commander";
import type { CommandModule } from "../../src/cli/command.js";
import type { CliContext } from "../../src/cli/context.js";
import { resolvePaths } from "../../src/cli/paths.js";
import { JsonReporter } from "../../src/cli/reporter/index.js";
import { HomelabError, isHomelabError } from "../../src/errors/index.js";

export interface CommandRun {
  readonly status: number;
  readonly events: readonly Record<string, unknown>[];
  /** The error the CLI's boundary would have printed, if the command threw one. */
  readonly error: HomelabError | undefined;
  /** Questions asked, in order. */
  readonly questions: readonly string[];
}

export interface HarnessOptions {
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  /** Answers for `ask`, in order; with none, the context is not interactive. */
  readonly answers?: readonly string[];
}

export interface TestContext {
  readonly context: CliContext;
  readonly events: Record<string, unknown>[];
  readonly questions: string[];
}

/** A CliContext for tests: JSON events recorded, answers scripted, nothing on the terminal. */
export function createTestContext(options: HarnessOptions): TestContext {
  const events: Record<string, unknown>[] = [];
  const questions: string[] = [];
  const answers = [...(options.answers ?? [])];
  const stderr = new PassThrough();
  stderr.resume();
  const context: CliContext = {
    cwd: options.cwd,
    env: options.env,
    paths: resolvePaths(options.env, options.cwd),
    reporter: new JsonReporter(
      (line) => events.push(JSON.parse(line) as Record<string, unknown>),
      () => performance.now(),
    ),
    stdin: new PassThrough(),
    stdout: new PassThrough(),
    stderr,
    interactive: options.answers !== undefined,
    now: () => performance.now(),
    date: () => new Date(),
    ask: async (question) => {
      questions.push(question);
      const answer = answers.shift();
      if (answer === undefined) throw new Error(`unexpected question: ${question}`);
      return answer;
    },
  };
  return { context, events, questions };
}

export async function runCommand(
  module: CommandModule,
  argv: readonly string[],
  options: HarnessOptions,
): Promise<CommandRun> {
  const { context, events, questions } = createTestContext(options);
  const command = new Command("homelab-test").exitOverride().option("--json");
  module.configure(command);
  let status = 0;
  let error: HomelabError | undefined;
  command.action(async (...actionArgs: unknown[]) => {
    try {
      status = (await module.run(actionArgs.slice(0, -2), command.opts(), context)) ?? 0;
    } catch (thrown) {
      if (!isHomelabError(thrown)) throw thrown;
      error = thrown;
      status = 1;
    }
  });
  await command.parseAsync([...argv], { from: "user" });
  return { status, events, error, questions };
}

/** Events of one type (`result`, `warning`, `output`, `step`, …). */
export function eventsOf(run: CommandRun, type: string): Record<string, unknown>[] {
  return run.events.filter((event) => event.type === type);
}

export { HomelabError };
