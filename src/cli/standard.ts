import { Command, CommanderError } from "commander";
import { HomelabError } from "../errors/index.js";
import type { CommandModule } from "./command.js";
import type { StandardCommandEntry } from "./commands.js";
import { createContext } from "./context.js";

/**
 * Runs a standard command: commander parses its arguments (declared by the command module),
 * the context gives it a reporter, paths and the clock. Commander's own usage errors become
 * `usage` HomelabErrors so they print like every other error.
 */
export async function runStandardCommand(
  entry: StandardCommandEntry,
  argv: readonly string[],
): Promise<number> {
  const module: CommandModule = await entry.load();
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
  let status = 0;
  command.action(async (...actionArgs: unknown[]) => {
    // Commander passes the positional arguments, then the options object, then the command.
    const positional = actionArgs.slice(0, -2);
    const options = command.opts();
    const context = createContext({ json: options.json === true, color: options.color !== false });
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
