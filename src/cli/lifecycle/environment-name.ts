import type { LoadedEnvironment } from "../../environment/index.js";
import { type NameMismatchReport, nameMismatchReport } from "../../environment/name-mismatch.js";
import type { CliContext } from "../context.js";

/**
 * An environment named differently from its file (a copy of development.ts that kept
 * `name: "development"`) acts on the other environment's cluster. Commands that change
 * something refuse it (`env-name-mismatch`, before anything is written); every other command
 * warns, once per run. The table is here so that a new command is one line.
 */
const COMMANDS_THAT_CHANGE_SOMETHING = new Set([
  "up",
  "apply",
  "destroy",
  "replace",
  "upgrade",
  "backup",
  "restore",
]);

/** `homelab up dev` → "error"; `homelab plan dev` → "warning". */
export function nameMismatchMode(command: string): "error" | "warning" {
  const verb = command.replace(/^homelab\s+/, "").split(/\s+/)[0] ?? "";
  return COMMANDS_THAT_CHANGE_SOMETHING.has(verb) ? "error" : "warning";
}

/** Per run (one context per command run), the files already warned about. */
const warned = new WeakMap<CliContext, Set<string>>();

/** Prints the mismatch warning, once per file per run. */
export function warnNameMismatchOnce(context: CliContext, report: NameMismatchReport | undefined): void {
  if (!report) return;
  const seen = warned.get(context) ?? new Set<string>();
  warned.set(context, seen);
  const key = `${report.where.file}\0${report.message}`;
  if (seen.has(key)) return;
  seen.add(key);
  context.reporter.warn(`${report.message}. ${report.fix}`, {
    code: "env-name-mismatch",
    where: report.where,
  });
}

/** For commands that load an environment without rendering it (status, ssh, doctor, show, …). */
export async function warnIfNameMismatch(
  context: CliContext,
  loaded: Pick<LoadedEnvironment, "file" | "absoluteFile" | "nameMismatch">,
): Promise<void> {
  warnNameMismatchOnce(context, await nameMismatchReport(loaded));
}
