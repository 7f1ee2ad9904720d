// Loads a CommonJS bundle through node:vm with a V8 code cache beside it (`<file>.cache`).
// Node 20 has no compile cache of its own; this is what makes `homelab butane` start in time.
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import { Script } from "node:vm";

export function loadCodeCached(file, { useCache = true } = {}) {
  const source = readFileSync(file, "utf8");
  const cacheFile = `${file}.cache`;
  const cachedData = useCache && existsSync(cacheFile) ? readFileSync(cacheFile) : undefined;
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: file,
    cachedData,
  });
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(file), module, file, dirname(file));
  return { exports: module.exports, createCachedData: () => script.createCachedData() };
}
