export {
  BBOLT_MAGIC,
  BBOLT_VERSION,
  checkMetaPage,
  checkSnapshotBytes,
  fnv1a64,
  type SnapshotCheck,
  SnapshotChecker,
} from "./format.js";
export * as nodePaths from "./node-paths.js";
export { parseSnapshotRecord, type SnapshotRecord, serializeSnapshotRecord } from "./record.js";
export type { SnapshotNode } from "./remote.js";
export {
  type RestoreClusterOptions,
  type RestoreOutcome,
  type RestoreServerState,
  restoreCluster,
  type StepRunner,
} from "./restore.js";
export {
  checkSnapshotFile,
  DEFAULT_KEEP_PER_REASON,
  listSnapshots,
  pruneSnapshots,
  resolveSnapshot,
  type SnapshotListing,
  type StoredSnapshot,
  snapshotPaths,
  type VerifiedSnapshot,
  verifySnapshot,
} from "./store.js";
export {
  newestSnapshotIn,
  savedSnapshotPath,
  type TakeFromAnyOptions,
  type TakenSnapshot,
  type TakeSnapshotOptions,
  takeSnapshot,
  takeSnapshotFromAny,
} from "./take.js";
export {
  type UploadForRestoreOptions,
  type UploadOptions,
  uploadForRestore,
  uploadSnapshotFile,
  waitForSsh,
} from "./upload.js";
