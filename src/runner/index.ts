export {
  flavorOf,
  resolveTofuOverride,
  type TofuBinary,
  type TofuFlavor,
  tofuNotFoundError,
} from "./binary.js";
export { type OutputStream, runCaptured, runLogged } from "./child-process.js";
export { type InterruptSource, manualInterrupts, processInterrupts, STOP_SIGNALS } from "./interrupt.js";
export { awaitOrphanedTofu, type RunningTofuRecord, readRunningTofu } from "./orphan.js";
export {
  formatPlanSummary,
  type NodeAction,
  type NodeChangeSummary,
  type PlanSummary,
  parsePlanJson,
  type ResourceChangeSummary,
  summarizePlan,
} from "./plan-summary.js";
export {
  identifyProcess,
  type ProcessIdentity,
  type ProcessStatus,
  processStatus,
} from "./process-identity.js";
export {
  acquireRunLock,
  type RunLock,
  type RunLockHolder,
  type RunLockOptions,
  withRunLock,
} from "./run-lock.js";
export { backupState, backupTimestamp } from "./state-backup.js";
export { readStateLockInfo, type StateLockInfo } from "./state-lock.js";
export {
  hasAppliedState,
  type PlanRequest,
  type SavedPlan,
  TofuFailedError,
  TofuRunner,
  type TofuRunnerOptions,
  type TofuStatePaths,
  tofuStatePaths,
} from "./tofu-runner.js";
export { assertStateInStateDir, readWorkingConfig, type WorkingConfig } from "./working-config.js";
