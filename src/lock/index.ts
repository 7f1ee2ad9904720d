/**
 * `homelab.lock.json`: what each environment resolves to (Flatcar image, k3s binary, provider,
 * Flux), read, written atomically with sorted keys, resolved against the environment, and
 * refreshed from the published release metadata.
 */
export { ADDON_IMAGES, type AddonImageKey } from "./addon-images.js";
export { BUILTIN_PINS, type HomelabPins } from "./pins.js";
export { parseLock, readLock } from "./read.js";
export {
  type LockStatus,
  type LockWarning,
  lockEntryFromPins,
  lockStatus,
  type ResolveLockOptions,
  resolveLockedEnvironment,
  wantedVersions,
  wantsAddonImages,
  wantsAirgapImages,
} from "./resolve.js";
export {
  LOCK_FILE_NAME,
  type LockedArtifact,
  type LockedEnvironment,
  LockedEnvironmentSchema,
  type LockedImage,
  type LockFile,
  LockFileSchema,
} from "./schema.js";
export {
  type AddonImagePuller,
  type LockSources,
  lockedFlatcarRelease,
  lockedK3sRelease,
  type NotFound,
  offlineFlatcarRelease,
  offlineK3sRelease,
  offlineLockedEnvironment,
  parseK3sChecksums,
  type ReleaseLookup,
  type UpdateLockOptions,
  updateLockedEnvironment,
} from "./update.js";
export { serializeLock, writeLock } from "./write.js";
