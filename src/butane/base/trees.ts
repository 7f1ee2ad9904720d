import { lstatSync, readdirSync, readFileSync, readlinkSync, statSync } from "node:fs";
import * as nodePath from "node:path";
import { type PathElement, Report } from "../diagnostics.js";
import { makeDataUrl } from "../encode/data-url.js";
import type { IgnObject } from "../ignition/schema.js";
import type { DecodedStruct } from "../yaml/decode.js";
import {
  ERR_NO_FILES_DIR,
  ensureRealPathWithinFilesDir,
  ensureWithinFilesDir,
  goFileError,
  goJoin,
  type LocalFileOptions,
} from "./local-files.js";
import type { TranslationSet } from "./translation.js";

const ERR_FILE_TYPE = "trees may only contain files, directories, and symlinks";
const ERR_NODE_EXISTS = "matching filesystem node has existing contents or different type";
const ERR_TREE_NOT_DIRECTORY = "root of tree must be a directory";

/** Tracks files, directories and links by path, the entries a tree may add to or fill in. */
class NodeTracker {
  private readonly files = new Map<string, number>();
  private readonly dirs = new Set<string>();
  private readonly links = new Map<string, number>();
  constructor(private readonly storage: IgnObject) {
    for (const [i, f] of listOf(storage, "files").entries()) this.files.set(String(f.path ?? ""), i);
    for (const d of listOf(storage, "directories")) this.dirs.add(String(d.path ?? ""));
    for (const [i, l] of listOf(storage, "links").entries()) this.links.set(String(l.path ?? ""), i);
  }
  exists(path: string): boolean {
    return this.files.has(path) || this.dirs.has(path) || this.links.has(path);
  }
  file(path: string): number | undefined {
    return this.files.get(path);
  }
  link(path: string): number | undefined {
    return this.links.get(path);
  }
  addFile(path: string): number {
    const files = listOf(this.storage, "files", true);
    files.push({ path });
    this.files.set(path, files.length - 1);
    return files.length - 1;
  }
  addLink(path: string): number {
    const links = listOf(this.storage, "links", true);
    links.push({ path });
    this.links.set(path, links.length - 1);
    return links.length - 1;
  }
}

function listOf(storage: IgnObject, name: string, create = false): IgnObject[] {
  const value = storage[name];
  if (Array.isArray(value)) return value as IgnObject[];
  const fresh: IgnObject[] = [];
  if (create) storage[name] = fresh;
  return fresh;
}

function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/**
 * Embeds `storage.trees` (processTrees/walkTree): files become data URLs with mode 0755 when
 * executable by anyone and 0644 otherwise, symlinks become links; entries already listed in
 * `files`/`links` without contents/target are filled in rather than duplicated.
 */
export function processTrees(
  trees: readonly DecodedStruct[],
  config: IgnObject,
  options: LocalFileOptions,
  translations: TranslationSet,
): Report {
  const { filesDir } = options;
  const report = new Report();
  if (trees.length === 0) return report;
  const storage = (config.storage ?? {}) as IgnObject;
  config.storage = storage;
  const tracker = new NodeTracker(storage);
  for (const [i, tree] of trees.entries()) {
    const yamlPath: PathElement[] = ["storage", "trees", i];
    if (!filesDir) {
      report.error(yamlPath, ERR_NO_FILES_DIR);
      return report;
    }
    const srcBase = goJoin(filesDir, String(tree.local ?? ""));
    const escaped =
      ensureWithinFilesDir(srcBase, filesDir) ??
      (options.rejectSymlinkEscapes ? ensureRealPathWithinFilesDir(srcBase, filesDir) : undefined);
    if (escaped) {
      report.error(yamlPath, escaped);
      continue;
    }
    try {
      if (!statSync(srcBase).isDirectory()) {
        report.error(yamlPath, ERR_TREE_NOT_DIRECTORY);
        continue;
      }
    } catch (error) {
      report.error(yamlPath, goFileError(error, srcBase).replace(/^open /, "stat "));
      continue;
    }
    const destBase = typeof tree.path === "string" && tree.path !== "" ? tree.path : "/";
    walk(srcBase, "");
    function walk(srcPath: string, rel: string): void {
      let info: ReturnType<typeof lstatSync>;
      try {
        info = lstatSync(srcPath);
      } catch (error) {
        report.error(yamlPath, goFileError(error, srcPath).replace(/^open /, "lstat "));
        return;
      }
      const destPath = nodePath.posix.join(destBase, rel === "" ? "." : rel).replace(/(.)\/$/, "$1");
      if (info.isDirectory()) {
        let names: string[];
        try {
          names = readdirSync(srcPath).sort(byteOrder);
        } catch (error) {
          report.error(yamlPath, goFileError(error, srcPath));
          return;
        }
        for (const name of names) walk(`${srcPath}/${name}`, rel === "" ? name : `${rel}/${name}`);
      } else if (info.isFile()) {
        addFile(srcPath, destPath, (info.mode & 0o111) !== 0);
      } else if (info.isSymbolicLink()) {
        addLink(srcPath, destPath);
      } else {
        report.error(yamlPath, ERR_FILE_TYPE);
      }
    }
    function addFile(srcPath: string, destPath: string, executable: boolean): void {
      let index = tracker.file(destPath);
      if (index !== undefined) {
        const existing = listOf(storage, "files")[index];
        const contents = existing?.contents as IgnObject | undefined;
        if (contents?.source !== undefined && contents.source !== "") {
          report.error(yamlPath, ERR_NODE_EXISTS);
          return;
        }
      } else {
        if (tracker.exists(destPath)) {
          report.error(yamlPath, ERR_NODE_EXISTS);
          return;
        }
        index = tracker.addFile(destPath);
        translations.absorb(["storage", "files", index], yamlPath);
      }
      let bytes: Buffer;
      try {
        bytes = readFileSync(srcPath);
      } catch (error) {
        report.error(yamlPath, goFileError(error, srcPath));
        return;
      }
      const file = listOf(storage, "files")[index] as IgnObject;
      const contents = (file.contents ?? {}) as IgnObject;
      file.contents = contents;
      const current = typeof contents.compression === "string" ? contents.compression : undefined;
      const data = makeDataUrl(bytes, current, true);
      contents.source = data.url;
      translations.absorb(["storage", "files", index, "contents", "source"], yamlPath);
      if (data.compression !== undefined) {
        contents.compression = data.compression;
        translations.absorb(["storage", "files", index, "contents", "compression"], yamlPath);
      }
      if (file.mode === undefined) {
        file.mode = executable ? 0o755 : 0o644;
        translations.absorb(["storage", "files", index, "mode"], yamlPath);
      }
    }
    function addLink(srcPath: string, destPath: string): void {
      let index = tracker.link(destPath);
      if (index !== undefined) {
        const existing = listOf(storage, "links")[index];
        if (typeof existing?.target === "string" && existing.target !== "") {
          report.error(yamlPath, ERR_NODE_EXISTS);
          return;
        }
      } else {
        if (tracker.exists(destPath)) {
          report.error(yamlPath, ERR_NODE_EXISTS);
          return;
        }
        index = tracker.addLink(destPath);
        translations.absorb(["storage", "links", index], yamlPath);
      }
      let target: string;
      try {
        target = readlinkSync(srcPath);
      } catch (error) {
        report.error(yamlPath, goFileError(error, srcPath).replace(/^open /, "readlink "));
        return;
      }
      (listOf(storage, "links")[index] as IgnObject).target = target;
      translations.absorb(["storage", "links", index, "target"], yamlPath);
    }
  }
  return report;
}
