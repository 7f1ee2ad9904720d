import { lstat, readdir, readFile, readlink } from "node:fs/promises";
import { dirname, join } from "node:path";

/**
 * Every entry under `dir` with its type, mode and bytes: equal snapshots mean an untouched tree.
 * A render directory is a link to its generation; the snapshot is of what it links to.
 */
export async function snapshotTree(dir: string): Promise<Record<string, string>> {
  if ((await lstat(dir)).isSymbolicLink()) return snapshotTree(join(dirname(dir), await readlink(dir)));
  const snapshot: Record<string, string> = {};
  const visit = async (path: string, relative: string) => {
    const info = await lstat(path);
    const mode = (info.mode & 0o7777).toString(8);
    if (info.isSymbolicLink()) snapshot[relative] = `link ${await readlink(path)}`;
    else if (info.isDirectory()) {
      snapshot[relative] = `dir ${mode}`;
      for (const entry of (await readdir(path)).sort())
        await visit(join(path, entry), `${relative}/${entry}`);
    } else snapshot[relative] = `file ${mode} ${(await readFile(path)).toString("base64")}`;
  };
  await visit(dir, ".");
  return snapshot;
}
