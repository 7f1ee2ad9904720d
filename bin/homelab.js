#!/usr/bin/env node
// The CLI is built into dist/ by `npm ci` (the prepare script) or `npm run build`.
import { existsSync } from "node:fs";

// A reader that goes away (`homelab up --help | head`) is not an error worth a stack trace.
// A terminal that was closed (EIO after the hangup) must not end homelab either: it is
// waiting for tofu to stop cleanly, and then releases the environment's run lock.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error) => {
    if (error.code === "EIO") return;
    if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw error;
  });
}

const entry = new URL("../dist/cli/main.js", import.meta.url);
const butane = new URL("../dist/butane.cjs", import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write(
    "error[not-built]: homelab is not built yet (dist/cli/main.js is missing).\n" +
      "  fix: run `npm ci` (or `npm run build`) in the homelab checkout.\n" +
      "  docs: docs/common-errors/not-built.md\n",
  );
  process.exit(1);
}
if (process.argv[2] === "butane" && existsSync(butane)) {
  // Fast path: one pre-compiled file instead of the module graph (see scripts/build.mjs).
  const { loadCodeCached } = await import("./code-cache.js");
  const command = loadCodeCached(butane.pathname).exports.default;
  const io = {
    cwd: process.cwd(),
    // A getter: touching process.stdin creates a stream, which only reading from stdin needs.
    get stdin() {
      return process.stdin;
    },
    stdout: process.stdout,
    stderr: process.stderr,
  };
  process.exitCode = await command.runRaw(process.argv.slice(3), io);
} else {
  await import(entry.href);
}
