import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { HomelabError, type SourceLocation } from "../errors/index.js";
import { LOCK_FILE_NAME, type LockFile, LockFileSchema } from "./schema.js";

const RESTORE =
  "Restore it from Git (`git checkout homelab.lock.json`) or regenerate an entry with `homelab lock <env> --update`.";

/** Line and column of a character offset. */
function position(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset).split("\n");
  return { line: before.length, column: (before.at(-1)?.length ?? 0) + 1 };
}

/** Where a JSON path (`environments.dev.k3s.version`) is written, found by key names; good enough for messages. */
function locatePath(
  text: string,
  path: readonly PropertyKey[],
): { line: number; column: number } | undefined {
  let from = 0;
  let found: number | undefined;
  for (const segment of path) {
    if (typeof segment !== "string") continue;
    const index = text.indexOf(JSON.stringify(segment), from);
    if (index < 0) break;
    found = index;
    from = index + 1;
  }
  return found === undefined ? undefined : position(text, found);
}

/**
 * Parses lock file text. Throws `lock-invalid` with file, line and field path for broken JSON
 * or anything the schema refuses (every issue listed).
 */
export function parseLock(text: string, file: string = LOCK_FILE_NAME): LockFile {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const message = (error as Error).message;
    const offset = /position (\d+)/.exec(message)?.[1];
    const where: SourceLocation =
      offset === undefined ? { file } : { file, ...position(text, Number(offset)) };
    throw new HomelabError("lock-invalid", `${file} is not valid JSON: ${message}`, { where, fix: RESTORE });
  }
  const parsed = LockFileSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const details = parsed.error.issues.map((issue) => ({
    message: issue.message,
    where: { file, ...locatePath(text, issue.path), path: issue.path.map(String).join(".") },
  }));
  const [first] = details;
  throw new HomelabError(
    "lock-invalid",
    `${file} does not match its schema: ${first?.message ?? "invalid"}`,
    {
      where: first?.where ?? { file },
      details: details.length > 1 ? details : [],
      fix: RESTORE,
    },
  );
}

/**
 * Reads `homelab.lock.json` from `cwd` (the repository root, next to environments/).
 * Resolves undefined when there is none yet.
 */
export async function readLock(cwd: string): Promise<LockFile | undefined> {
  let text: string;
  try {
    text = await readFile(join(cwd, LOCK_FILE_NAME), "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new HomelabError("lock-invalid", `${LOCK_FILE_NAME} cannot be read: ${(error as Error).message}`, {
      where: { file: LOCK_FILE_NAME },
      fix: `Make sure ${join(cwd, LOCK_FILE_NAME)} is a readable file.`,
    });
  }
  return parseLock(text);
}
