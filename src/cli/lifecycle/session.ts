import type { LockFile } from "../../lock/index.js";
import type { RenderResult } from "../../render/index.js";
import { TofuFailedError, type TofuRunner, withRunLock } from "../../runner/index.js";
import { stateLayout } from "../../state/layout.js";
import type { CliContext } from "../context.js";
import { nameMismatchMode } from "./environment-name.js";
import { type RenderedEnvironment, type RenderStepOptions, renderStep } from "./render.js";
import { createRunner, resolveTofu, runLockHolder } from "./tofu.js";

export interface Session {
  readonly render: RenderResult;
  readonly lock: LockFile | undefined;
  readonly runner: TofuRunner;
}

/**
 * Render, find tofu, take the environment's run lock, then `work`. The lock is held until
 * `work` ends (plan, confirmation, apply and any waits), so a second run is refused with
 * `run-in-progress` instead of racing this one. Render itself is atomic and deterministic,
 * so it may run before the lock is taken.
 */
export async function withSession<T>(
  context: CliContext,
  options: {
    readonly environment: string;
    readonly tofu: string | undefined;
    readonly command: string;
    readonly render?: RenderStepOptions;
  },
  work: (session: Session) => Promise<T>,
  beforeLock?: (rendered: RenderedEnvironment) => Promise<void>,
): Promise<T> {
  const rendered = await renderStep(context, options.environment, {
    ...options.render,
    nameMismatch: nameMismatchMode(options.command),
  });
  const { render, lock: lockFile } = rendered;
  if (beforeLock) await beforeLock(rendered);
  const binary = await resolveTofu(context, options.tofu);
  const lockPath = stateLayout(render.stateDir).runLock;
  return withRunLock({ path: lockPath, holder: runLockHolder(context, options.command) }, async (lock) => {
    if (lock.staleNotice) context.reporter.warn(lock.staleNotice);
    return work({ render, lock: lockFile, runner: createRunner(context, render, binary) });
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
