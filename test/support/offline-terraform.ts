/**
 * Keeps every terraform/tofu the tests run off the network. Without a CLI configuration,
 * `init` installs providers "directly" from their registry; the configuration written here
 * allows ONE installation method, a filesystem mirror (an empty directory), so a provider the
 * tests did not expect fails at once with "could not find … in the filesystem mirror" instead
 * of a registry lookup. Built-in providers (`terraform_data`) need no installation at all.
 * Checkpoint (Terraform's version check) is off too.
 *
 * Every helper that starts terraform or homelab's CLI passes `offlineTerraformEnv()`;
 * test/support/offline-terraform.test.ts checks that the real terraform accepts the file and
 * refuses a registry provider without asking the registry.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface OfflineTerraformConfig {
  /** The CLI configuration (TF_CLI_CONFIG_FILE). */
  readonly file: string;
  /** The filesystem mirror it names (empty unless a test puts a provider there). */
  readonly mirror: string;
}

let config: OfflineTerraformConfig | undefined;

/** The CLI configuration text for a filesystem mirror at `mirror`, and no other method. */
export function offlineCliConfigText(mirror: string): string {
  return [
    "# homelab tests: providers come only from this filesystem mirror, never from a registry.",
    "provider_installation {",
    "  filesystem_mirror {",
    `    path    = ${JSON.stringify(mirror)}`,
    '    include = ["*/*/*"]',
    "  }",
    "}",
    "disable_checkpoint = true",
    "",
  ].join("\n");
}

/** Writes (once per process) the offline CLI configuration and its empty mirror. */
export function offlineTerraformConfig(): OfflineTerraformConfig {
  if (config) return config;
  const dir = mkdtempSync(join(tmpdir(), "homelab-tf-offline-"));
  const mirror = join(dir, "mirror");
  mkdirSync(mirror);
  const file = join(dir, "offline.tfrc");
  writeFileSync(file, offlineCliConfigText(mirror));
  config = { file, mirror };
  return config;
}

/** Environment variables for terraform/tofu (and for homelab commands that run it). */
export function offlineTerraformEnv(): Record<string, string> {
  return { TF_CLI_CONFIG_FILE: offlineTerraformConfig().file, CHECKPOINT_DISABLE: "1" };
}
