// Builds the CLI with esbuild.
//
// 1. dist/cli/main.js and its chunks: every command is a dynamic import, so esbuild splits it
//    into its own chunk and `homelab status` never loads the Butane compiler, nor `homelab
//    butane` the Kubernetes client. Bundling matters for start-up: Node 20 resolves and
//    compiles many small ESM files slowly (yaml alone: 45 ms unbundled, 17 ms bundled, here).
// 2. dist/butane.cjs plus a V8 code cache for it: `homelab butane` is a drop-in for a Go
//    binary and has a start-up budget (bench/butane.bench.ts). bin/homelab.js loads this one
//    file with its compiled code instead of parsing and compiling the compiler and the YAML
//    parser on every run (Node 20 has no module compile cache of its own).
import { spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import { build } from "esbuild";

rmSync(new URL("../dist", import.meta.url), { recursive: true, force: true });

const shared = {
  bundle: true,
  platform: "node",
  target: "node20",
  minify: true,
  sourcemap: "linked",
  // yaml resolves to its Node build (the "node" export condition), the one the tests run. Its
  // browser build (the "default" condition, ESM) decodes `!!binary` with atob instead of
  // Buffer, so aliasing it for a smaller bundle shipped different behaviour than was tested.
  logLevel: "warning",
};

await build({
  ...shared,
  entryPoints: ["src/cli/main.ts"],
  outdir: "dist",
  outbase: "src",
  chunkNames: "chunks/[name]-[hash]",
  splitting: true,
  format: "esm",
  // Large dependencies with their own module graphs stay external: they load only in the
  // commands that need them, and bundling them gains nothing.
  external: ["@kubernetes/client-node", "openpgp", "jiti", "ora", "cli-progress", "typescript", "esbuild"],
  banner: {
    // Bundled CommonJS dependencies (commander) call require().
    js: 'import { createRequire as __homelabCreateRequire } from "node:module"; const require = __homelabCreateRequire(import.meta.url);',
  },
});

await build({
  ...shared,
  entryPoints: ["src/cli/commands/butane/index.ts"],
  outfile: "dist/butane.cjs",
  format: "cjs",
});

// 3. dist/environment-evaluator.mjs: the child process that evaluates environment files
//    (src/environment/evaluate/child.ts). On its own so that it loads nothing but jiti.
await build({
  ...shared,
  entryPoints: ["src/environment/evaluate/child.ts"],
  outfile: "dist/environment-evaluator.mjs",
  format: "esm",
  external: ["jiti"],
});

// The code cache is only valid for the Node.js binary that made it; the launcher falls back to
// a plain compile when V8 rejects it, so a failure here costs speed, never correctness.
const warm = spawnSync(process.execPath, ["scripts/warm-butane-cache.mjs"], { stdio: "inherit" });
if (warm.status !== 0)
  console.warn("warning: no code cache for dist/butane.cjs; homelab butane starts slower");
