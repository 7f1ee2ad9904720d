import {
  type DoctorReport,
  doctorBlockingError,
  doctorReportData,
  formatDoctorReport,
} from "../../doctor/index.js";
import type { ClusterPlan } from "../../plan/index.js";
import type { TofuBinary } from "../../runner/index.js";
import { colorWanted, requireHostReady, runHostChecks } from "../commands/doctor/host-check.js";
import type { CliContext } from "../context.js";

/**
 * `up`'s doctor step. With `--tofu`/`HOMELAB_TOFU` the binary was chosen by the user, so
 * doctor's PATH lookup is replaced by that binary for the OpenTofu check.
 */
export async function hostChecksStep(
  context: CliContext,
  plan: ClusterPlan,
  override: TofuBinary | undefined,
): Promise<void> {
  await context.reporter.step("Checking this host (homelab doctor)", async () => {
    if (!override) {
      await requireHostReady(plan, context);
      return;
    }
    const report = await runHostChecks(plan, context);
    const checks = report.checks.map((check) =>
      check.id === "tofu"
        ? { id: check.id, status: "ok" as const, summary: `${override.path} (from --tofu or HOMELAB_TOFU)` }
        : check,
    );
    const patched: DoctorReport = {
      ...report,
      checks,
      blocking: checks.some((check) => check.status === "failure"),
    };
    if (context.reporter.json)
      context.reporter.info("host checks", { event: "doctor", ...doctorReportData(patched) });
    else context.reporter.info(formatDoctorReport(patched, { color: colorWanted(context, {}) }).trimEnd());
    const blocking = doctorBlockingError(patched);
    if (blocking) throw blocking;
  });
}
