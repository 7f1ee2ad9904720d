import { HomelabError, isHomelabError } from "../errors/index.js";
import { createContext } from "./context.js";

/**
 * The single error boundary: anything a command throws ends here. A HomelabError is the user's
 * to fix and prints with its code, location, fix and docs page; anything else is a bug in
 * homelab, printed as `internal` without a stack trace unless HOMELAB_DEBUG=1.
 */
export function reportFailure(error: unknown, json: boolean, debug: boolean): number {
  const context = createContext({ json });
  if (isHomelabError(error)) {
    context.reporter.error(error);
    return 1;
  }
  const bug = new HomelabError(
    "internal",
    `unexpected failure: ${error instanceof Error ? error.message : String(error)}`,
    {
      fix: "This is a bug in homelab. Re-run with HOMELAB_DEBUG=1 to see the stack trace and report it with the command you ran.",
    },
  );
  context.reporter.error(bug);
  if (debug && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  return 70;
}
