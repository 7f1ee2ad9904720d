import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";

/** Read size for hashing and copying: large enough that syscalls do not dominate. */
export const CHUNK_BYTES = 1024 * 1024;

/** SHA-256 and size of a file, streamed (memory does not grow with the file). */
export async function sha256File(
  path: string,
  onProgress?: (done: number) => void,
): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash("sha256");
  let bytes = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: CHUNK_BYTES })) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
    onProgress?.(bytes);
  }
  return { sha256: hash.digest("hex"), bytes };
}
