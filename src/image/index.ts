/**
 * The Flatcar image: download (resumable), OpenPGP verification (streaming) against the
 * shipped Flatcar key, and the cache layout. Network and clock come in as parameters.
 */
export { parseDigests, verifyDigests } from "./digests.js";
export {
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_REQUEST_TIMEOUT_MS,
  type DownloadResult,
  type DownloadTimeouts,
  describeFetchError,
  downloadResumable,
  downloadTimeoutError,
  type Fetch,
  parseContentRange,
  type ResumableDownloadOptions,
  TimedRequest,
} from "./download.js";
export {
  type EnsuredImage,
  type EnsureFlatcarImageOptions,
  ensureFlatcarImage,
  type ImageProgress,
  isImageCached,
  MAX_SIGNATURE_BYTES,
  type UseLocalImageOptions,
  useLocalImage,
  type VerifiedCachedImageOptions,
  verifiedCachedImage,
} from "./ensure.js";
export {
  type CachedImagePaths,
  cachedImagePaths,
  FLATCAR_IMAGE_FILE,
  FLATCAR_SIGNING_KEY_FINGERPRINT,
  type FlatcarChannel,
  type FlatcarImageUrls,
  flatcarImageDir,
  flatcarImageUrls,
  flatcarReleaseUrl,
} from "./flatcar.js";
export {
  parseSigningKeys,
  primaryFingerprints,
  readShippedSigningKey,
  requireFingerprint,
  shippedSigningKeyPath,
} from "./signing-key.js";
export {
  parseDetachedSignature,
  type VerifiedFile,
  type VerifyFileOptions,
  verifyDetachedSignature,
} from "./verify.js";
