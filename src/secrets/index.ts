export {
  assertSecretDirectory,
  assertSecretPermissions,
  createSecretFileExclusive,
  readSecretFile,
  writeSecretFileAtomic,
} from "./files.js";
export {
  type EnsureSecretOptions,
  ensureK3sToken,
  generateK3sToken,
  type OnMissingSecret,
} from "./k3s-token.js";
export { ensureNodePassword, generateNodePassword } from "./node-password.js";
export {
  derivePublicKeyLine,
  encodeOpenSshPrivateKey,
  encodeOpenSshPublicKey,
  ensureSshKeyPair,
  generateSshKeyPair,
  publicKeyFromOpenSshPrivateKey,
  type SshKeyPair,
  type SshKeyPairPaths,
} from "./ssh-keypair.js";
