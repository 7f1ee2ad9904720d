import { HomelabError, isHomelabError } from "../../errors/index.js";
import type { CliContext } from "../context.js";

/**
 * Asks before changing infrastructure. Without a terminal (or with --json) nobody can answer,
 * so the command refuses unless `--yes` was given: silence is never consent.
 */
export async function confirmOrRefuse(
  context: CliContext,
  options: {
    readonly yes: boolean;
    readonly question: string;
    readonly expected: readonly string[];
    readonly what: string;
    readonly flag?: string;
  },
): Promise<void> {
  if (options.yes) return;
  const flag = options.flag ?? "--yes";
  if (!context.interactive) {
    throw new HomelabError(
      "confirmation-declined",
      `${options.what} needs confirmation, and there is no terminal to ask on`,
      {
        fix: `Run it in a terminal to answer the question, or pass ${flag} to go ahead without asking (scripts, --json).`,
      },
    );
  }
  let answer: string;
  try {
    answer = (await context.ask(options.question)).trim();
  } catch (error) {
    // readline rejects the question on Ctrl-C ("Aborted with Ctrl+C") and when the terminal
    // closes (Ctrl-D, hangup): no answer is a no.
    if (isHomelabError(error)) throw error;
    throw new HomelabError(
      "confirmation-declined",
      `${options.what} was not confirmed (the question was interrupted); nothing was changed`,
      {
        fix: `Run the command again and answer ${options.expected.map((e) => JSON.stringify(e)).join(" or ")}, or pass ${flag}.`,
      },
    );
  }
  if (!options.expected.includes(answer)) {
    throw new HomelabError(
      "confirmation-declined",
      `${options.what} was not confirmed (answer: ${JSON.stringify(answer)}); nothing was changed`,
      {
        fix: `Run the command again and answer ${options.expected.map((e) => JSON.stringify(e)).join(" or ")}, or pass ${flag}.`,
      },
    );
  }
}
