import { errorPage } from "./codes.js";
import type { HomelabError, SourceLocation } from "./homelab-error.js";

/** `file:line:col: path` — the parts that are known, in the order editors and terminals link. */
export function formatLocation(where: SourceLocation | undefined): string {
  if (!where) return "";
  let position = where.file ?? "";
  if (where.file && where.line !== undefined) {
    position += `:${where.line}`;
    if (where.column !== undefined) position += `:${where.column}`;
  } else if (where.line !== undefined) {
    position += `line ${where.line}${where.column === undefined ? "" : ` col ${where.column}`}`;
  }
  if (where.path) return position ? `${position}: ${where.path}` : where.path;
  return position;
}

/** Details shown per error: the first ones say enough, and output stays bounded. */
export const MAX_SHOWN_DETAILS = 50;

/** The human rendering used by the CLI's error boundary. */
export function formatError(error: HomelabError): string {
  const location = formatLocation(error.where);
  const lines = [`error[${error.code}]: ${location ? `${location}: ` : ""}${error.message}`];
  if (error.excerpt) lines.push(...error.excerpt.split("\n").map((line) => `    ${line}`.trimEnd()));
  for (const detail of error.details.slice(0, MAX_SHOWN_DETAILS)) {
    const detailLocation = formatLocation(detail.where);
    lines.push(`  - ${detailLocation ? `${detailLocation}: ` : ""}${detail.message}`);
  }
  if (error.details.length > MAX_SHOWN_DETAILS)
    lines.push(`  - … and ${error.details.length - MAX_SHOWN_DETAILS} more`);
  if (error.fix) lines.push(`  fix: ${error.fix.replace(/\n/g, "\n       ")}`);
  lines.push(`  docs: ${errorPage(error.code)}`);
  return `${lines.join("\n")}\n`;
}

/** The `--json` rendering: one event object. */
export function errorEvent(error: HomelabError): Record<string, unknown> {
  return {
    type: "error",
    code: error.code,
    message: error.message,
    where: error.where,
    fix: error.fix,
    details: error.details.slice(0, MAX_SHOWN_DETAILS),
    ...(error.details.length > MAX_SHOWN_DETAILS
      ? { moreDetails: error.details.length - MAX_SHOWN_DETAILS }
      : {}),
    ...(error.excerpt ? { excerpt: error.excerpt } : {}),
    docs: errorPage(error.code),
  };
}
