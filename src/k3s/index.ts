export {
  checkK3sConfig,
  isServerOnlyKey,
  K3S_FLAGS_SOURCE_VERSION,
  type K3sConfigValue,
  type K3sKeyProblem,
  type K3sRole,
  k3sFlagFor,
} from "./flags.js";
export {
  HOMELAB_MANAGED_K3S_KEYS,
  K3S_SUPERVISOR_PORT,
  k3sNodeConfig,
  managedKeyField,
  registrationUrl,
} from "./node-config.js";
