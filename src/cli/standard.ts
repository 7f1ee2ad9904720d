import { resolve } from "node:path";
import { Command, CommanderError } from "commander";
import { HomelabError } from "../errors/index.js";
import type { CommandModule } from "./command.js";
import type { StandardCommandEntry } from "./commands.js";
import { createContext } from "./context.js";
import { findRepositoryRoot } from "./repository-root.js";

/**
 * Runs a standard command: commander parses its arguments (declared by the command module),
 * the context gives it a reporter, paths and the clock. Commander's own usage errors become
 * `usage` HomelabErrors so they print like every other error.
 */
/**
 * Commands run in the repository root (found upwards, see repository-root.ts), but paths the
 * user typed mean what they mean in the shell: an `[env]` that is a path, and options taking a
 * `<path>`/`<dir>`, are made absolute from the current directory first.
 */
function fromHere(command: Command, positional: unknown[]): unknown[] {
  return positional.map((value, index) =>
    command.registeredArguments[index]?.name() === "env" && typeof value === "string" && looksLikePath(value)
      ? resolve(value)
      : value,
  );
}

function optionsFromHere(command: Command): Record<string, unknown> {
  const options: Record<string, unknown> = { ...command.opts() };
  for (const option of command.options) {
    const key = option.attributeName();
    const value = options[key];
    if (/<(path|dir|file)>/.test(option.flags) && typeof value === "string" && value !== "")
      options[key] = key === "tofu" && !value.includes("/") ? value : resolve(value);
  }
  return options;
}

/** What loadEnvironment treats as a path rather than a name. */
function looksLikePath(value: string): boolean {
  return value.includes("/") || value.includes("\\") || /\.(ts|mts|js|mjs|json)$/.test(value);
}

export async function runStandardCommand(
  entry: StandardCommandEntry,
  argv: readonly string[],
): Promise<number> {
  const module: CommandModule = await entry.load();
  // The parent only names the program, so that usage reads `homelab up [options] [env]`.
  const program = new Command("homelab");
  const command = new Command(entry.name)
    .description(entry.summary)
    .option("--json", "print newline-delimited JSON events instead of human output")
    .option("--no-color", "disable colours")
    .exitOverride()
    .configureOutput({
      writeOut: (text) => process.stdout.write(text),
      writeErr: (text) => {
        if (!text.startsWith("error:")) process.stderr.write(text);
      },
    });
  module.configure(command);
  program.addCommand(command);
  let status = 0;
  command.action(async (...actionArgs: unknown[]) => {
    // Commander passes the positional arguments, then the options object, then the command.
    // Only from a subfolder do typed paths need resolving; in the root they stay as typed.
    const here = process.cwd();
    const relocated = (findRepositoryRoot(here) ?? here) !== here;
    const positional = relocated ? fromHere(command, actionArgs.slice(0, -2)) : actionArgs.slice(0, -2);
    const options = relocated ? optionsFromHere(command) : command.opts();
    const context = createContext({
      json: options.json === true,
      color: options.color !== false,
      findRoot: true,
    });
    status = (await module.run(positional, options, context)) ?? 0;
  });
  try {
    await command.parseAsync([...argv], { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.exitCode === 0) return 0; // --help
      throw new HomelabError("usage", error.message.replace(/^error: /, ""), {
        fix: `Run \`homelab ${entry.name} --help\` for the accepted arguments and options.`,
      });
    }
    throw error;
  }
  return status;
}
