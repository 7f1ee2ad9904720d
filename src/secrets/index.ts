export { assertSecretPermissions, readSecretFile, writeSecretFileAtomic } from "./files.js";
export { ensureK3sToken, generateK3sToken } from "./k3s-token.js";
export { ensureNodePassword, generateNodePassword } from "./node-password.js";
export {
  encodeOpenSshPrivateKey,
  encodeOpenSshPublicKey,
  ensureSshKeyPair,
  generateSshKeyPair,
  publicKeyFromOpenSshPrivateKey,
  type SshKeyPair,
  type SshKeyPairPaths,
} from "./ssh-keypair.js";
