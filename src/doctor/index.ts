/**
 * `homelab doctor` as a library: host checks for an environment's plan, each a small
 * function of injected probes (filesystem, processes, os-release) so that unit tests cover
 * every branch and integration tests run the real host.
 */

export { checkProvider, type ProviderCheckInput } from "./checks/provider.js";
export {
  checkTofu,
  checkTofuBinary,
  compareVersions,
  findTofu,
  MINIMUM_TOFU_VERSIONS,
  type TofuBinary,
} from "./checks/tofu.js";
export type { DoctorContext, DoctorPlan, LibvirtFacts } from "./context.js";
export {
  CHECK_LABELS,
  doctorBlockingError,
  doctorReportData,
  type FormatDoctorOptions,
  formatDoctorReport,
} from "./format.js";
export {
  createHostProbes,
  type HostProbeOptions,
  SYSTEM_DIRECTORIES,
  searchDirectories,
} from "./host-probes.js";
export { distroFamily, type OsRelease, parseOsRelease } from "./os-release.js";
export type { FileStat, HostProbes, HostRoute, InterfaceAddress } from "./probes.js";
export { gatherLibvirtFacts, type RunDoctorOptions, runDoctor } from "./run.js";
export type {
  CheckFix,
  CheckId,
  CheckResult,
  CheckStatus,
  DistroFamily,
  DoctorReport,
  Privilege,
} from "./types.js";
