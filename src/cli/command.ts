import type { Command } from "commander";
import type { CliContext } from "./context.js";

/**
 * One CLI command, in its own folder under `src/cli/commands/<name>/`. Commands are thin:
 * they turn arguments into library calls and library results into reporter output.
 */
export interface CommandModule {
  /** Declares arguments and options (`--json` is added for every command). */
  configure(command: Command): void;
  /**
   * Runs the command. `args` are the positional arguments commander parsed, `options` its
   * option values. Returns the process exit status (default 0). User errors are thrown as
   * HomelabError and printed by the single error boundary in main.ts.
   */
  run(
    args: readonly unknown[],
    options: Record<string, unknown>,
    context: CliContext,
  ): Promise<number | undefined>;
}

/**
 * A command that parses its own argv, bypassing commander and the reporter: `homelab butane`
 * is a drop-in for the `butane` binary (its flags, its stderr format) and must start fast.
 */
export interface RawCommandModule {
  runRaw(argv: readonly string[], io: RawIo): Promise<number>;
}

export interface RawIo {
  readonly cwd: string;
  readonly stdin: NodeJS.ReadableStream;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}
