// The CLI entry. Deliberately tiny: it imports only the command table and loads everything
// else on demand, so `homelab butane` starts without commander, zod or the reporter
// (start-up time is part of its contract; see bench/butane.bench.ts).
import { COMMANDS } from "./commands.js";

const VERSION = "0.1.0";

async function main(argv: readonly string[]): Promise<number> {
  // `homelab help up` is `homelab up --help`.
  if (argv[0] === "help" && argv[1] !== undefined) return main([argv[1], "--help"]);
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    const { topLevelHelp } = await import("./help.js");
    process.stdout.write(topLevelHelp());
    return name === undefined ? 1 : 0;
  }
  if (name === "--version" || name === "-V") {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const entry = COMMANDS.find((c) => c.name === name);
  if (!entry) {
    const { HomelabError } = await import("../errors/index.js");
    throw new HomelabError("usage", `unknown command "${name}"`, {
      fix: `Use one of: ${COMMANDS.map((c) => c.name).join(", ")}. Run \`homelab --help\` for a summary.`,
    });
  }
  if (entry.kind === "raw") {
    const module = await entry.load();
    return module.runRaw(rest, {
      cwd: process.cwd(),
      stdin: process.stdin,
      stdout: process.stdout,
      stderr: process.stderr,
    });
  }
  const { runStandardCommand } = await import("./standard.js");
  return runStandardCommand(entry, rest);
}

const argv = process.argv.slice(2);
try {
  process.exitCode = await main(argv);
} catch (error) {
  const { reportFailure } = await import("./boundary.js");
  process.exitCode = reportFailure(error, argv.includes("--json"), process.env.HOMELAB_DEBUG === "1");
}
