import { createHash, randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, open, rename, rm, stat } from "node:fs/promises";
import { dirname } from "node:path";
import { HomelabError, type SourceLocation } from "../errors/index.js";
import { CHUNK_BYTES } from "./hash.js";

/**
 * A POSIX ustar archive written for a disk: the artifact volume is this file, uploaded as a
 * raw libvirt volume, and the node reads it straight from the block device with GNU tar.
 * No filesystem and no extra tools on either side; the format is the 1988 POSIX one
 * (IEEE 1003.1 "ustar"), which GNU tar reads by default.
 *
 * Deterministic: entries sorted by name, mtime 0, uid/gid 0 (root/root), fixed modes, no
 * extended headers. The same inputs give the same bytes, hence the same volume.
 */

const BLOCK = 512;
/** 11 octal digits: the largest size a ustar header can state. */
const MAX_USTAR_SIZE = 0o77777777777;
/** Entry names are homelab's own flat file names; nothing a shell would need to quote. */
const ENTRY_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

export interface TarImageEntry {
  /** Name inside the archive (flat: no directories). */
  readonly name: string;
  /** Permission bits stored in the header, e.g. 0o755. */
  readonly mode: number;
  /** The file whose bytes go in. */
  readonly source: string;
  /** The SHA-256 the bytes must have; checked while they are copied. */
  readonly sha256: string;
  /** For error messages and their location (e.g. the lock field the hash came from). */
  readonly label?: string;
  readonly recordedAt?: SourceLocation;
  /** The environment it is for, to name the command that repairs the cache. */
  readonly environment?: string;
}

export interface WrittenTarImage {
  readonly path: string;
  /** Size of the file: whole 512-byte blocks, padded to a multiple of `alignment`. */
  readonly bytes: number;
  /** SHA-256 of the whole file. */
  readonly sha256: string;
  readonly entries: readonly { readonly name: string; readonly bytes: number; readonly sha256: string }[];
}

export interface WriteTarImageOptions {
  /** Pad the file to a multiple of this many bytes; default 1 MiB (a tidy disk size). */
  readonly alignment?: number;
}

function octal(value: number, width: number): string {
  // width - 1 digits, then NUL (as GNU tar writes them)
  return `${value.toString(8).padStart(width - 1, "0")}\0`;
}

/** Paths inside other archives homelab writes (an image layout's `blobs/sha256/<hex>`): no `..`, no leading `/`. */
const ENTRY_PATH = /^(?!.*(^|\/)\.\.?(\/|$))[A-Za-z0-9][A-Za-z0-9._/-]{0,99}$/;

/** One 512-byte ustar header for a regular file with a flat name (the artifact volume's). */
export function ustarHeader(name: string, mode: number, size: number): Buffer {
  if (!ENTRY_NAME.test(name)) throw new RangeError(`not a flat ustar entry name: ${name}`);
  return ustarEntryHeader(name, mode, size, "file");
}

/** One 512-byte ustar header for a regular file or a directory (`name` ends in `/`) at a relative path. */
export function ustarEntryHeader(
  name: string,
  mode: number,
  size: number,
  type: "file" | "directory",
): Buffer {
  if (!ENTRY_PATH.test(name) || (type === "directory") !== name.endsWith("/"))
    throw new RangeError(`not a ustar ${type} path homelab writes: ${name}`);
  if (!Number.isInteger(size) || size < 0 || size > MAX_USTAR_SIZE || (type === "directory" && size !== 0))
    throw new RangeError(`${name}: ${size} bytes does not fit a ustar header`);
  const header = Buffer.alloc(BLOCK, 0);
  header.write(name, 0, 100, "ascii");
  header.write(octal(mode & 0o7777, 8), 100, 8, "ascii");
  header.write(octal(0, 8), 108, 8, "ascii"); // uid
  header.write(octal(0, 8), 116, 8, "ascii"); // gid
  header.write(octal(size, 12), 124, 12, "ascii");
  header.write(octal(0, 12), 136, 12, "ascii"); // mtime: the epoch, for reproducible bytes
  header.write("        ", 148, 8, "ascii"); // checksum field counts as spaces while summing
  header.write(type === "file" ? "0" : "5", 156, 1, "ascii");
  header.write("ustar\0", 257, 6, "ascii");
  header.write("00", 263, 2, "ascii");
  header.write("root", 265, 32, "ascii");
  header.write("root", 297, 32, "ascii");
  header.write(octal(0, 8), 329, 8, "ascii"); // devmajor
  header.write(octal(0, 8), 337, 8, "ascii"); // devminor
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, 8, "ascii");
  return header;
}

/**
 * Writes `entries` (sorted by name) as a ustar archive to `path`, atomically: a temporary file
 * in the same directory is renamed over `path` only when every entry's bytes matched its
 * SHA-256 and size did not change while copying. A mismatch deletes the temporary file and
 * throws `artifact-hash-mismatch`: a bad artifact never reaches a volume.
 */
export async function writeTarImage(
  entries: readonly TarImageEntry[],
  path: string,
  options: WriteTarImageOptions = {},
): Promise<WrittenTarImage> {
  const alignment = options.alignment ?? 1024 * 1024;
  if (!Number.isInteger(alignment) || alignment < BLOCK || alignment % BLOCK !== 0)
    throw new RangeError(`alignment must be a multiple of ${BLOCK}: ${alignment}`);
  const sorted = [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]?.name === sorted[i - 1]?.name) throw new RangeError(`duplicate entry ${sorted[i]?.name}`);
  }

  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.${randomBytes(4).toString("hex")}.tmp`;
  const handle = await open(temporary, "w", 0o644);
  const whole = createHash("sha256");
  let written = 0;
  const write = async (buffer: Buffer) => {
    whole.update(buffer);
    let offset = 0;
    while (offset < buffer.length) {
      const { bytesWritten } = await handle.write(buffer, offset, buffer.length - offset);
      offset += bytesWritten;
    }
    written += buffer.length;
  };
  const done: { name: string; bytes: number; sha256: string }[] = [];
  try {
    for (const entry of sorted) {
      const stats = await stat(entry.source).catch((error: NodeJS.ErrnoException) => {
        throw new HomelabError(
          "artifact-not-cached",
          `${entry.label ?? entry.name} cannot be read from ${entry.source}: ${error.code ?? error.message}`,
          {
            ...(entry.recordedAt ? { where: entry.recordedAt } : {}),
            fix: `Run \`homelab artifacts${entry.environment ? ` ${entry.environment}` : ""}\` to fetch it again, then retry.`,
          },
        );
      });
      await write(ustarHeader(entry.name, entry.mode, stats.size));
      const hash = createHash("sha256");
      let bytes = 0;
      for await (const chunk of createReadStream(entry.source, { highWaterMark: CHUNK_BYTES })) {
        const buffer = chunk as Buffer;
        bytes += buffer.length;
        if (bytes > stats.size) break; // grew while copying: the size check below refuses it
        hash.update(buffer);
        await write(buffer);
      }
      const sha256 = hash.digest("hex");
      if (bytes !== stats.size || sha256 !== entry.sha256) {
        throw new HomelabError(
          "artifact-hash-mismatch",
          bytes !== stats.size
            ? `${entry.source} changed while it was copied into the artifact volume`
            : `${entry.label ?? entry.name} (${entry.source}) has sha256 ${sha256}, but ${entry.recordedAt?.file ?? "the lock"} records ${entry.sha256}: it was not put into the artifact volume`,
          {
            ...(entry.recordedAt ? { where: entry.recordedAt } : {}),
            fix: `The cached file is damaged or was replaced. Run \`homelab artifacts${entry.environment ? ` ${entry.environment}` : ""}\` to fetch it again, then retry.`,
          },
        );
      }
      const padding = (BLOCK - (bytes % BLOCK)) % BLOCK;
      if (padding > 0) await write(Buffer.alloc(padding, 0));
      done.push({ name: entry.name, bytes, sha256 });
    }
    await write(Buffer.alloc(2 * BLOCK, 0)); // end of archive
    const tail = (alignment - (written % alignment)) % alignment;
    for (let left = tail; left > 0; ) {
      const size = Math.min(left, CHUNK_BYTES);
      await write(Buffer.alloc(size, 0));
      left -= size;
    }
    await handle.sync();
    await handle.close();
    await rename(temporary, path);
  } catch (error) {
    await handle.close().catch(() => undefined);
    await rm(temporary, { force: true });
    throw error;
  }
  return { path, bytes: written, sha256: whole.digest("hex"), entries: done };
}
