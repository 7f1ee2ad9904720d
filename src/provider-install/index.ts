/**
 * Whether OpenTofu/Terraform can install the configuration's providers without a registry:
 * the CLI's notice before `init` and doctor's "provider" check (docs/common-errors/provider-not-cached.md).
 */

export { type MirrorInstructions, mirrorInstructions, providerPlatform } from "./advice.js";
export {
  describeAvailability,
  type ProviderAvailability,
  type ProviderFoundIn,
  type ProviderInstallQuery,
  type ProviderRequirement,
  providerAvailability,
} from "./availability.js";
export {
  type CliConfig,
  CliConfigSyntaxError,
  type InstallationMethod,
  parseCliConfig,
} from "./cli-config.js";
