import { existsSync } from "node:fs";
import { rmdir } from "node:fs/promises";
import { basename, dirname, extname } from "node:path";
import { isHomelabError } from "../../errors/index.js";
import type { LockFile } from "../../lock/index.js";
import type { RenderResult } from "../../render/index.js";
import type { Release } from "../../rollout/index.js";
import {
  acquireRunLock,
  type RunLock,
  type RunLockOptions,
  TofuFailedError,
  type TofuRunner,
} from "../../runner/index.js";
import { stateLayout } from "../../state/layout.js";
import type { CliContext } from "../context.js";
import { environmentStateDir } from "../paths.js";
import { nameMismatchMode } from "./environment-name.js";
import { type RenderedEnvironment, type RenderStepOptions, renderStep, renderWithContext } from "./render.js";
import { createRunner, resolveTofu, runLockHolder } from "./tofu.js";

export interface Session {
  readonly render: RenderResult;
  readonly lock: LockFile | undefined;
  readonly runner: TofuRunner;
  /**
   * Renders again (quietly) with another rollout release — one step of a roll — into the same
   * directory the runner works in. Only inside the session: the run lock is held.
   */
  rerender(release: Release, requested?: readonly string[]): Promise<RenderResult>;
}

export interface SessionOptions {
  readonly environment: string;
  readonly tofu: string | undefined;
  readonly command: string;
  readonly render?: RenderStepOptions;
  /**
   * Runs holding the run lock, before the render: what it returns is added to `render` for
   * the render and every re-render (`homelab upgrade` decides its lock proposal here).
   */
  readonly prepare?: () => Promise<RenderStepOptions>;
}

/**
 * The environment name the run lock is taken for, from the command line: `development`, or the
 * base name of an environment file (`environments/lab.ts` → `lab`). Known before anything is
 * loaded or rendered, so the lock is held before render writes a byte; commands that change
 * anything refuse an environment whose `name` differs from its file name.
 */
export function lockNameOf(environment: string): string {
  const looksLikePath = environment.includes("/") || /\.(ts|mts|js|mjs|json)$/.test(environment);
  return looksLikePath ? basename(environment, extname(environment)) : environment;
}

/** Runs `work` holding the environment's run lock (refused with `run-in-progress` while another run holds it). */
export async function withEnvironmentRunLock<T>(
  context: CliContext,
  environment: string,
  command: string,
  work: () => Promise<T>,
  options: { readonly waitMs?: number } = {},
): Promise<T> {
  const stateDir = environmentStateDir(context.paths, lockNameOf(environment));
  const lockPath = stateLayout(stateDir).runLock;
  // Folders the lock creates are removed again if the run left nothing in them, so a refused
  // command (bad input, a name/file mismatch) leaves no state directory behind.
  const created = [stateDir, dirname(stateDir)].filter((dir) => !existsSync(dir));
  const lock = await acquireWaiting(
    { path: lockPath, holder: runLockHolder(context, command) },
    context,
    options.waitMs ?? 0,
  );
  try {
    if (lock.staleNotice) context.reporter.warn(lock.staleNotice);
    return await work();
  } finally {
    await lock.release();
    for (const dir of created) await rmdir(dir).catch(() => undefined); // fails while not empty
  }
}

/**
 * The run lock, waiting up to `waitMs` while another run holds it: a `render` waits for another
 * short render; the commands that apply refuse at once (`waitMs` 0), naming the holder.
 */
async function acquireWaiting(
  options: RunLockOptions,
  context: CliContext,
  waitMs: number,
): Promise<RunLock> {
  const started = context.now();
  for (;;) {
    try {
      return await acquireRunLock(options);
    } catch (error) {
      if (!isHomelabError(error) || error.code !== "run-in-progress" || context.now() - started >= waitMs)
        throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

/**
 * Takes the environment's run lock, then renders, finds tofu and runs `work` (and before it,
 * `beforeWork`: host checks, the image). The lock is held until `work` ends — plan,
 * confirmation, apply, every rollout step and every wait — so a second run is refused with
 * `run-in-progress` before it can rewrite the files this one applies.
 */
export async function withSession<T>(
  context: CliContext,
  options: SessionOptions,
  work: (session: Session) => Promise<T>,
  beforeWork?: (rendered: RenderedEnvironment) => Promise<void>,
): Promise<T> {
  return withEnvironmentRunLock(context, options.environment, options.command, async () => {
    const renderOptions: RenderStepOptions = {
      ...options.render,
      nameMismatch: nameMismatchMode(options.command),
      ...(options.prepare ? await options.prepare() : {}),
    };
    const rendered = await renderStep(context, options.environment, renderOptions);
    const { render, lock: lockFile } = rendered;
    if (beforeWork) await beforeWork(rendered);
    const binary = await resolveTofu(context, options.tofu);
    const runner = createRunner(context, render, binary);
    return work({
      render,
      lock: lockFile,
      runner,
      rerender: async (release, requested) =>
        (
          await renderWithContext(context, options.environment, {
            ...renderOptions,
            release,
            ...(requested ? { requested } : {}),
            quiet: true,
          })
        ).render,
    });
  });
}

/**
 * tofu failed: print homelab's error (tofu's own output is already above) and end with tofu's
 * exit status, as `tofu` itself would.
 */
export async function keepTofuExitStatus(context: CliContext, run: () => Promise<number>): Promise<number> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof TofuFailedError) {
      context.reporter.error(error);
      return error.exitCode === 0 ? 1 : error.exitCode;
    }
    throw error;
  }
}
