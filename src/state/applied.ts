import { readFile } from "node:fs/promises";

/**
 * How many resources an OpenTofu state file records: 0 when there is none (or it records
 * nothing, e.g. after a destroy), undefined when it exists but cannot be read as a state.
 */
export async function recordedResourceCount(stateFile: string): Promise<number | undefined> {
  let text: string;
  try {
    text = await readFile(stateFile, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return 0;
    return undefined;
  }
  try {
    const state = JSON.parse(text) as { resources?: unknown[] };
    return Array.isArray(state.resources) ? state.resources.length : 0;
  } catch {
    return undefined;
  }
}

/**
 * Whether a state file exists and records at least one resource. An unreadable state counts
 * as applied: better to refuse than to pretend nothing exists.
 */
export async function hasAppliedState(stateFile: string): Promise<boolean> {
  const count = await recordedResourceCount(stateFile);
  return count === undefined || count > 0;
}
