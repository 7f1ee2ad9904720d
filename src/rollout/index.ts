export {
  type AppliedBaseImage,
  type AppliedNode,
  type AppliedState,
  NO_APPLIED_STATE,
  parseAppliedState,
  roleOfNodeName,
} from "./applied-state.js";
export {
  executeRollout,
  migrationRefusal,
  type NodeIdentityRef,
  quorumOf,
  type RollEffects,
  type RollOptions,
  type RollResult,
  type RollStep,
  RollStopped,
  type RollTarget,
  rollSteps,
  type SnapshotRef,
  scaleDownRefusal,
} from "./execute.js";
export {
  bytesToGiB,
  describeCause,
  describeInPlace,
  gibToBytes,
  type InPlaceChange,
  inPlaceChanges,
  type MachineFacts,
  type ReplaceCause,
  replaceCauses,
} from "./facts.js";
export {
  EMPTY_FIRST_BOOT_RECORD,
  type FirstBootRecord,
  parseFirstBootRecord,
  preparedRestore,
  recordedRestores,
  serializeFirstBootRecord,
  withoutPreparedRestore,
  withPreparedRestore,
} from "./first-boot-record.js";
export { formatRollout, type RolloutFormatOptions, rolloutData } from "./format.js";
export {
  type DesiredNode,
  type EmittedNode,
  isPending,
  type NodeChange,
  planRollout,
  RELEASE_NEXT,
  RELEASE_NONE,
  type Release,
  ReleaseRefused,
  type Rollout,
  type RolloutInputs,
  type RolloutNode,
} from "./plan.js";
