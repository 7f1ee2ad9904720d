export {
  DEFAULT_PLATFORM,
  type Descriptor,
  formatPlatform,
  type Platform,
} from "./manifest.js";
export {
  DOCKER_MANIFEST,
  DOCKER_MANIFEST_LIST,
  MANIFEST_ACCEPT,
  OCI_INDEX,
  OCI_MANIFEST,
} from "./media-types.js";
export {
  DOCKER_HUB,
  formatImageReference,
  type ImageReference,
  parseImageReference,
} from "./reference.js";
export {
  defaultRegistryBaseUrl,
  MAX_BLOB_BYTES,
  MAX_MANIFEST_BYTES,
  type PulledManifest,
  RegistryClient,
  type RegistryClientOptions,
  sha256Digest,
} from "./registry.js";
