import { randomBytes } from "node:crypto";
import {
  closeSync,
  fchmodSync,
  lstatSync,
  openSync,
  readlinkSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from "node:fs";
import * as nodePath from "node:path";

/**
 * `-o FILE`: written atomically, so a reader never sees half a config and a failed compile
 * leaves the previous file. The temporary file is created exclusively (O_EXCL: a file or
 * symbolic link planted at its name is never followed) under a random name next to the
 * target, then renamed over it. Like butane, which opens the target itself, a target that is
 * a symbolic link is written through: the file it points to is replaced. An existing
 * target's mode is kept; a new file gets 0644 less the umask.
 */
export class OutputError extends Error {
  constructor(
    /** "open" (creating the file failed) or "write". */
    readonly stage: "open" | "write",
    message: string,
  ) {
    super(message);
  }
}

const GO_ERRNO: Readonly<Record<string, string>> = {
  ENOENT: "no such file or directory",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EISDIR: "is a directory",
  ENOTDIR: "not a directory",
  EROFS: "read-only file system",
  ENOSPC: "no space left on device",
  ELOOP: "too many levels of symbolic links",
  EDQUOT: "disk quota exceeded",
  EXDEV: "invalid cross-device link",
};

/** Go's text for an errno (`no such file or directory`), or Node's message. */
export function goErrno(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return (code && GO_ERRNO[code]) || (error instanceof Error ? error.message : String(error));
}

/** Follows a chain of symbolic links at `path` (not its parents) to the file it names. */
function finalTarget(path: string): string {
  let current = path;
  for (let hops = 0; hops < 40; hops++) {
    let link: string;
    try {
      if (!lstatSync(current).isSymbolicLink()) return current;
      link = readlinkSync(current);
    } catch {
      return current;
    }
    current = nodePath.resolve(nodePath.dirname(current), link);
  }
  return current;
}

export function writeAtomically(
  target: string,
  text: string,
  randomSuffix: () => string = () => randomBytes(8).toString("hex"),
): void {
  const path = finalTarget(target);
  let keepMode: number | undefined;
  try {
    const existing = statSync(path);
    if (existing.isDirectory()) throw new OutputError("open", "is a directory");
    keepMode = existing.mode & 0o7777;
  } catch (error) {
    if (error instanceof OutputError) throw error;
  }
  const dir = nodePath.dirname(path);
  const base = nodePath.basename(path);
  let temp = "";
  let fd = -1;
  for (let attempt = 0; fd < 0; attempt++) {
    temp = nodePath.join(dir, `.${base}.${randomSuffix()}.tmp`);
    try {
      fd = openSync(temp, "wx", 0o644);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "EEXIST" && attempt < 100) continue;
      throw new OutputError("open", goErrno(error));
    }
  }
  try {
    try {
      if (keepMode !== undefined) fchmodSync(fd, keepMode);
      const bytes = Buffer.from(text, "utf8");
      for (let offset = 0; offset < bytes.length; )
        offset += writeSync(fd, bytes, offset, bytes.length - offset);
    } catch (error) {
      throw new OutputError("write", goErrno(error));
    } finally {
      closeSync(fd);
    }
    try {
      renameSync(temp, path);
    } catch (error) {
      throw new OutputError("open", goErrno(error));
    }
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}
