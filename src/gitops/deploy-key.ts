import { type EnsureSecretOptions, ensureSshKeyPair, type SshKeyPair } from "../secrets/index.js";
import type { StateLayout } from "../state/layout.js";

/** The comment at the end of an environment's deploy key, as the Git host will show it. */
export function deployKeyComment(environmentName: string): string {
  return `flux-${environmentName}@homelab`;
}

/**
 * The environment's Flux deploy key (Ed25519), generated once into the state directory
 * (`gitops/deploy_key`, `gitops/deploy_key.pub`, both 0600, outside the repository) and reused
 * afterwards, so that a re-render produces the same Ignition and the key registered at the
 * Git host keeps working. Refuses a key file that others can read, and (through `options`)
 * creating a missing one when the caller says so.
 */
export function ensureDeployKey(
  layout: StateLayout,
  environmentName: string,
  options: EnsureSecretOptions = {},
): Promise<SshKeyPair> {
  return ensureSshKeyPair(
    {
      privateKeyPath: layout.deployPrivateKey,
      publicKeyPath: layout.deployPublicKey,
      comment: deployKeyComment(environmentName),
    },
    options,
  );
}
