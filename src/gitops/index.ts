export {
  BOOTSTRAP_FILE_MODE,
  BOOTSTRAP_PATHS,
  type BootstrapFile,
  type DeployKey,
  fluxRelease,
  type GitopsBootstrapOptions,
  gitopsBootstrapFiles,
  type InlineBootstrapFile,
  K3S_MANIFESTS_DIR,
  type RemoteBootstrapFile,
} from "./bootstrap.js";
export { deployKeyComment, ensureDeployKey } from "./deploy-key.js";
export {
  DEFAULT_FLUX_VERSION,
  FLUX_RELEASES,
  type FluxRelease,
  fluxInstallManifestUrl,
} from "./flux-release.js";
export { type FluxHandover, fluxHandover, gitopsBootstrapMachine, HANDOVER_PATHS } from "./handover.js";
export { knownHostsFor, WELL_KNOWN_HOST_KEYS } from "./known-hosts.js";
export { parseRepositoryUrl } from "./repository-url.js";
export { defaultSyncPath, type GitopsSettings, needsDeployKey, resolveGitopsSettings } from "./settings.js";
// Flux status (`readFluxStatus`) is imported from "./status.js" directly by the CLI, so that the
// bootstrap side of this module never pulls in the Kubernetes client.
