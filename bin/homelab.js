#!/usr/bin/env node
// The CLI is built into dist/ by `npm ci` (the prepare script) or `npm run build`.
import { existsSync } from "node:fs";

const entry = new URL("../dist/cli/main.js", import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write(
    "error[not-built]: homelab is not built yet (dist/cli/main.js is missing).\n" +
      "  fix: run `npm ci` (or `npm run build`) in the homelab checkout.\n",
  );
  process.exit(1);
}
await import(entry.href);
