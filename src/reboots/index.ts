export {
  environmentSchedule,
  KURED_DRAIN_TIMEOUT,
  KURED_LOCK_RELEASE_DELAY,
  KURED_MANIFEST_PATH,
  KURED_NAMESPACE,
  KURED_PERIOD,
  kuredHelmChart,
  kuredManifest,
  kuredValues,
  rebootFiles,
} from "./kured.js";
export { KURED_CHART } from "./pins.js";
export { type UpdateStrategy, updateStrategy } from "./strategy.js";
export {
  KURED_DAYS,
  type KuredDay,
  type KuredSchedule,
  kuredSchedule,
  type ScheduleResult,
  windowLengthMinutes,
} from "./window.js";
