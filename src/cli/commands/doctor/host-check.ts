import { join } from "node:path";
import {
  createHostProbes,
  type DoctorPlan,
  type DoctorReport,
  doctorBlockingError,
  doctorReportData,
  formatDoctorReport,
  runDoctor,
} from "../../../doctor/index.js";
import type { Environment } from "../../../environment/index.js";
import { cachedImagePaths, isImageCached } from "../../../image/index.js";
import { readLock, wantedVersions } from "../../../lock/index.js";
import { providerPlatform } from "../../../provider-install/index.js";
import type { CliContext } from "../../context.js";
import { providerQuery } from "../../lifecycle/provider-notice.js";
import { environmentStateDir } from "../../paths.js";

/** Options shared by `homelab doctor` and `homelab up`'s host check. */
export interface HostCheckOptions {
  /** Show install commands for every distribution. */
  readonly allDistros?: boolean;
}

/** Where the environment's pinned image is cached, and whether it is already verified there. */
async function imageFacts(
  environment: Environment,
  context: CliContext,
): Promise<{ cacheDir: string; cached: boolean }> {
  const lock = await readLock(context.cwd).catch(() => undefined);
  const { channel, flatcarVersion } = (() => {
    try {
      return wantedVersions(environment, lock?.environments[environment.name]);
    } catch {
      return {
        channel: environment.flatcar.channel,
        flatcarVersion: environment.flatcar.version ?? "unpinned",
      };
    }
  })();
  return {
    cacheDir: cachedImagePaths(context.paths.cacheRoot, channel, flatcarVersion).dir,
    cached: await isImageCached(context.paths.cacheRoot, channel, flatcarVersion),
  };
}

/** Runs every host check against the real host (processes, files, libvirt at the environment's URI). */
export async function runHostChecks(plan: DoctorPlan, context: CliContext): Promise<DoctorReport> {
  const probes = createHostProbes({ searchPath: context.env.PATH, home: context.paths.home });
  const name = plan.environment.name;
  return runDoctor(plan, {
    probes,
    image: await imageFacts(plan.environment, context),
    provider: {
      query: (flavor) =>
        providerQuery(context, {
          stateDir: environmentStateDir(context.paths, name),
          workingDir: join(context.cwd, ".homelab", name),
          flavor,
        }),
      renderedDir: join(".homelab", name),
      platform: providerPlatform(process.platform, process.arch),
    },
  });
}

/** Whether human output may use colour (the same rule as the reporter's). */
export function colorWanted(context: CliContext, options: Record<string, unknown>): boolean {
  const stream = context.stderr as NodeJS.WritableStream & { isTTY?: boolean };
  return (
    options.color !== false &&
    stream.isTTY === true &&
    context.env.NO_COLOR === undefined &&
    context.env.TERM !== "dumb"
  );
}

/**
 * For `homelab up`: runs the host checks, prints the report (stderr in human mode, one
 * `doctor` event with --json), and throws the blocking error when a check failed — the
 * error lists every failure; the report above it has the fixes.
 */
export async function requireHostReady(
  plan: DoctorPlan,
  context: CliContext,
  options: HostCheckOptions = {},
): Promise<DoctorReport> {
  const report = await runHostChecks(plan, context);
  if (context.reporter.json)
    context.reporter.info("host checks", { event: "doctor", ...doctorReportData(report) });
  else {
    const color = colorWanted(context, {});
    context.reporter.info(
      formatDoctorReport(report, { allDistros: options.allDistros === true, color }).trimEnd(),
    );
  }
  const blocking = doctorBlockingError(report);
  if (blocking) throw blocking;
  return report;
}
