/**
 * SSH public key types that OpenSSH (authorized_keys, known_hosts) and Flux's Go SSH client
 * both understand. One list for the environment's authorized keys and GitOps known_hosts.
 */
export const SSH_KEY_TYPES: readonly string[] = [
  "ssh-ed25519",
  "ssh-rsa",
  "ecdsa-sha2-nistp256",
  "ecdsa-sha2-nistp384",
  "ecdsa-sha2-nistp521",
  "sk-ssh-ed25519@openssh.com",
  "sk-ecdsa-sha2-nistp256@openssh.com",
];
