import { Command, CommanderError } from "commander";
import { HomelabError, isHomelabError } from "../errors/index.js";
import type { CommandModule } from "./command.js";
import { COMMANDS, type StandardCommandEntry } from "./commands.js";
import { createContext } from "./context.js";

const VERSION = "0.1.0";

function topLevelHelp(): string {
  const groups: Record<string, string> = {
    cluster: "Cluster lifecycle",
    inspect: "Inspect",
    tools: "Tools",
  };
  const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 2;
  const lines = [
    "Usage: homelab <command> [options]",
    "",
    "Turns environments/<env>.ts into a k3s cluster on Flatcar VMs on libvirt.",
    "Ignition runs once: a node whose configuration changes is replaced, never patched.",
  ];
  for (const [group, title] of Object.entries(groups)) {
    const entries = COMMANDS.filter((c) => c.group === group);
    if (entries.length === 0) continue;
    lines.push("", `${title}:`);
    for (const entry of entries) lines.push(`  ${entry.name.padEnd(width)}${entry.summary}`);
  }
  lines.push(
    "",
    "Every command accepts --json (newline-delimited events on stdout) and --help.",
    "Run `homelab <command> --help` for its options. Docs: docs/03-getting-started.md",
  );
  return `${lines.join("\n")}\n`;
}

/** Reports anything that escapes a command. The single error boundary of the CLI. */
function reportFailure(error: unknown, json: boolean, debug: boolean): number {
  const context = createContext({ json });
  if (isHomelabError(error)) {
    context.reporter.error(error);
    return 1;
  }
  const bug = new HomelabError("internal", `unexpected failure: ${error instanceof Error ? error.message : String(error)}`, {
    fix: "This is a bug in homelab. Re-run with HOMELAB_DEBUG=1 to see the stack trace and report it with the command you ran.",
  });
  context.reporter.error(bug);
  if (debug && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  return 70;
}

async function runStandard(entry: StandardCommandEntry, argv: readonly string[]): Promise<number> {
  const module: CommandModule = await entry.load();
  const command = new Command(entry.name)
    .description(entry.summary)
    .option("--json", "print newline-delimited JSON events instead of human output")
    .option("--no-color", "disable colours")
    .exitOverride()
    .configureOutput({
      writeOut: (text) => process.stdout.write(text),
      writeErr: (text) => {
        // Commander's own messages (unknown option, missing argument) become usage errors below.
        if (!text.startsWith("error:")) process.stderr.write(text);
      },
    });
  module.configure(command);
  let status = 0;
  command.action(async (...actionArgs: unknown[]) => {
    // Commander passes positional args, then the options object, then the command itself.
    const positional = actionArgs.slice(0, -2);
    const options = command.opts();
    const context = createContext({ json: options.json === true, color: options.color !== false });
    status = (await module.run(positional, options, context)) ?? 0;
  });
  try {
    await command.parseAsync([...argv], { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.exitCode === 0) return 0; // --help, --version
      throw new HomelabError("usage", error.message.replace(/^error: /, ""), {
        fix: `Run \`homelab ${entry.name} --help\` for the accepted arguments and options.`,
      });
    }
    throw error;
  }
  return status;
}

async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(topLevelHelp());
    return name === undefined ? 1 : 0;
  }
  if (name === "--version" || name === "-V") {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const entry = COMMANDS.find((c) => c.name === name);
  if (!entry) {
    const known = COMMANDS.map((c) => c.name).join(", ");
    throw new HomelabError("usage", `unknown command "${name}"`, {
      fix: `Use one of: ${known}. Run \`homelab --help\` for a summary.`,
    });
  }
  if (entry.kind === "raw") {
    const module = await entry.load();
    return module.runRaw(rest, { cwd: process.cwd(), stdin: process.stdin, stdout: process.stdout, stderr: process.stderr });
  }
  return runStandard(entry, rest);
}

const argv = process.argv.slice(2);
const debug = process.env.HOMELAB_DEBUG === "1";
try {
  process.exitCode = await main(argv);
} catch (error) {
  process.exitCode = reportFailure(error, argv.includes("--json"), debug);
}
