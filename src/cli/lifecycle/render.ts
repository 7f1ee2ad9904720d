import { relative, resolve } from "node:path";
import { LOCK_FILE_NAME, type LockFile, readLock } from "../../lock/index.js";
import { type RenderResult, renderEnvironment } from "../../render/index.js";
import type { Release } from "../../rollout/index.js";
import type { CliContext } from "../context.js";
import { warnNameMismatchOnce } from "./environment-name.js";

/**
 * The render step that plan, apply, destroy, up and replace start with: the same call as
 * `homelab render`, so the user sees (and can read) exactly what tofu runs on.
 */
export interface RenderedEnvironment {
  readonly render: RenderResult;
  /** homelab.lock.json as read for the render (undefined when there is none). */
  readonly lock: LockFile | undefined;
}

export interface RenderStepOptions {
  /** `--out DIR` (default `.homelab/<env>`). */
  readonly outDir?: string;
  /** `--image PATH`: the Flatcar image the OpenTofu config uploads (default: the cache's). */
  readonly flatcarImage?: string;
  /** The rollout step to write (default: the next due rebuild, see src/rollout). */
  readonly release?: Release;
  /** Nodes to rebuild although nothing changed (`homelab replace`). */
  readonly requested?: readonly string[];
  /** A rollout step's re-render: no step line, no warnings (the first render printed them). */
  readonly quiet?: boolean;
  /**
   * The lock file to render with instead of reading homelab.lock.json (`homelab upgrade`
   * renders its proposal before the user confirmed, and writes the file only then).
   */
  readonly lock?: LockFile;
  /** `--new-secrets`: create missing secrets even for an applied environment (see RenderOptions). */
  readonly allowNewSecrets?: boolean;
  /** A name that differs from the file's: refused ("error") or warned about once (default). */
  readonly nameMismatch?: "error" | "warning";
}

/**
 * Reads the lock file and renders, as a visible step, reporting render's warnings. Shared by
 * `homelab render` (which prints its own summary) and the lifecycle commands' render step.
 */
export async function renderWithContext(
  context: CliContext,
  environment: string,
  options: RenderStepOptions = {},
): Promise<RenderedEnvironment> {
  const lock = options.lock ?? (await readLock(context.cwd));
  const render = () =>
    renderEnvironment({
      environment,
      cwd: context.cwd,
      home: context.paths.home,
      stateRoot: context.paths.stateRoot,
      cacheRoot: context.paths.cacheRoot,
      ...(options.outDir === undefined ? {} : { outDir: options.outDir }),
      ...(options.flatcarImage === undefined
        ? {}
        : { flatcarImage: resolve(context.cwd, options.flatcarImage) }),
      ...(lock ? { lock } : {}),
      lockFile: LOCK_FILE_NAME,
      ...(options.release ? { release: options.release } : {}),
      ...(options.requested ? { requested: options.requested } : {}),
      ...(options.allowNewSecrets ? { allowNewSecrets: true } : {}),
      nameMismatch: options.nameMismatch ?? "warning",
    });
  if (options.quiet) return { render: await render(), lock };
  const result = await context.reporter.step(`Rendering ${environment}`, render);
  warnNameMismatchOnce(context, result.nameMismatch);
  for (const warning of result.warnings)
    context.reporter.warn(warning.message, {
      ...(warning.where ? { where: warning.where } : {}),
      ...(warning.code ? { code: warning.code } : {}),
    });
  return { render: result, lock };
}

/**
 * The files a user reads: render also writes a hidden marker (`.homelab-render`) that lets a
 * later render recognise its own directory; it is not counted.
 */
export function visibleFiles(files: readonly string[]): string[] {
  return files.filter((file) => !file.split("/").some((part) => part.startsWith(".")));
}

export async function renderStep(
  context: CliContext,
  environment: string,
  options: RenderStepOptions = {},
): Promise<RenderedEnvironment> {
  const rendered = await renderWithContext(context, environment, options);
  const { outDir, files } = rendered.render;
  const count = visibleFiles(files).length;
  context.reporter.info(`Rendered ${count} files into ${relative(context.cwd, outDir) || "."}`, { outDir });
  return rendered;
}
