export {
  flavorOf,
  resolveTofuOverride,
  type TofuBinary,
  type TofuFlavor,
  tofuNotFoundError,
} from "./binary.js";
export { type OutputStream, runCaptured, runStreamed } from "./child-process.js";
export { type InterruptSource, manualInterrupts, processInterrupts } from "./interrupt.js";
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
  acquireRunLock,
  type RunLock,
  type RunLockHolder,
  type RunLockOptions,
  withRunLock,
} from "./run-lock.js";
export { backupState, backupTimestamp } from "./state-backup.js";
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
