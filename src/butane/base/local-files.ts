import { readFileSync, realpathSync } from "node:fs";
import * as nodePath from "node:path";

/** Errors of the reference, word for word (config/common/errors.go). */
export const ERR_NO_FILES_DIR =
  "local file paths are relative to a files directory that must be specified with -d/--files-dir";
export const ERR_FILES_DIR_ESCAPE = "local file path traverses outside the files directory";
/** homelab's own (strict mode): the reference follows such links without a word. */
export const ERR_FILES_DIR_SYMLINK_ESCAPE =
  "local file path leaves the files directory through a symbolic link";

/** Go's filepath.Join: joins and cleans (no trailing slash, `.`/`..` resolved lexically). */
export function goJoin(...parts: string[]): string {
  const joined = parts.filter((p) => p !== "").join("/");
  if (joined === "") return "";
  const cleaned = nodePath.posix.normalize(joined);
  return cleaned.length > 1 && cleaned.endsWith("/") ? cleaned.slice(0, -1) : cleaned;
}

/** Refuses a path that leaves the files directory, comparing absolute lexical paths as Butane does. */
export function ensureWithinFilesDir(path: string, filesDir: string): string | undefined {
  const base = nodePath.resolve(filesDir);
  const target = nodePath.resolve(path);
  if (target !== base && !target.startsWith(`${base}${nodePath.sep}`)) return ERR_FILES_DIR_ESCAPE;
  return undefined;
}

/** Go's `os` error text for a failed read (`open PATH: no such file or directory`, ...). */
export function goFileError(error: unknown, path: string): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case "ENOENT":
      return `open ${path}: no such file or directory`;
    case "EACCES":
      return `open ${path}: permission denied`;
    case "EISDIR":
      return `read ${path}: is a directory`;
    case "ENOTDIR":
      return `open ${path}: not a directory`;
    case "ELOOP":
      return `open ${path}: too many levels of symbolic links`;
    default:
      return `open ${path}: ${(error as Error | undefined)?.message ?? "unknown error"}`;
  }
}

/**
 * With `rejectSymlinkEscapes`: refuses a path whose real location (symbolic links resolved)
 * is outside the files directory's. The reference checks the path lexically only, so a link
 * inside the files directory can embed any file the user can read.
 */
export function ensureRealPathWithinFilesDir(path: string, filesDir: string): string | undefined {
  let real: string;
  let base: string;
  try {
    real = realpathSync(path);
    base = realpathSync(filesDir);
  } catch {
    return undefined; // a missing file is reported by the read itself
  }
  if (real !== base && !real.startsWith(`${base}${nodePath.sep}`)) return ERR_FILES_DIR_SYMLINK_ESCAPE;
  return undefined;
}

export interface LocalFileOptions {
  readonly filesDir?: string;
  /** Refuse files reached through a symbolic link that leaves the files directory. */
  readonly rejectSymlinkEscapes?: boolean;
}

export type LocalRead =
  | { readonly ok: true; readonly bytes: Buffer }
  | { readonly ok: false; readonly error: string };

/** Reads a `local` file relative to the files directory (base/util ReadLocalFile). */
export function readLocalFile(configPath: string, options: LocalFileOptions): LocalRead {
  const { filesDir } = options;
  if (!filesDir) return { ok: false, error: ERR_NO_FILES_DIR };
  const filePath = goJoin(filesDir, configPath);
  const escaped =
    ensureWithinFilesDir(filePath, filesDir) ??
    (options.rejectSymlinkEscapes ? ensureRealPathWithinFilesDir(filePath, filesDir) : undefined);
  if (escaped) return { ok: false, error: escaped };
  try {
    return { ok: true, bytes: readFileSync(filePath) };
  } catch (error) {
    return { ok: false, error: goFileError(error, filePath) };
  }
}
