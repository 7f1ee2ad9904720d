/**
 * Artifacts from the host: the k3s binary, Flux's install manifest, k3s's air-gap images and
 * homelab's add-on images (kube-vip, as OCI archives pulled by digest),
 * downloaded once on the machine that runs homelab, verified against homelab.lock.json, cached,
 * and delivered to the nodes on a read-only volume that a first-boot unit installs from after
 * checking every hash again. See docs/06-scale-out.md.
 */
export { addonImageCachePath, type PulledImageArchive, pullImageArchive } from "./addon-image.js";
export {
  type ArtifactProgress,
  artifactCacheDir,
  type CacheListing,
  cachedArtifactPath,
  type EnsureArtifactOptions,
  ensureArtifact,
  listArtifactCache,
  type VerifiedArtifact,
  verifyCachedArtifact,
} from "./cache.js";
export {
  type ArtifactKind,
  type ArtifactSpec,
  type ArtifactsForEnvironmentOptions,
  artifactsForEnvironment,
  K3S_AGENT_IMAGES_DIR,
} from "./catalog.js";
export { sha256File } from "./hash.js";
export {
  ARTIFACT_DEVICE_PATH,
  ARTIFACT_DISK_SERIAL,
  ARTIFACT_LIST_PATH,
  ARTIFACT_SCRIPT_PATH,
  ARTIFACT_STAMP_PATH,
  ARTIFACT_UNIT_NAME,
  artifactInstallScript,
  artifactInstallUnit,
  artifactList,
  artifactsForNode,
  type InlineNodeFile,
  type NodeArtifactInstall,
  type NodeUnit,
  nodeArtifactButane,
  nodeArtifactInstall,
} from "./node-install.js";
export { assertOfflineIgnition, type RemoteSource, remoteSources } from "./remote-sources.js";
export {
  type TarImageEntry,
  ustarHeader,
  type WriteTarImageOptions,
  type WrittenTarImage,
  writeTarImage,
} from "./tar-image.js";
export {
  ARTIFACT_VOLUME_FORMAT,
  type ArtifactVolumeEntry,
  type ArtifactVolumePlan,
  artifactVolumeName,
  artifactVolumePath,
  type BuiltArtifactVolume,
  ensureArtifactVolume,
  planArtifactVolume,
} from "./volume.js";
