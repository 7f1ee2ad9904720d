import type { ProviderAvailability } from "./availability.js";

/** The platform name of provider packages: `linux_amd64`, `linux_arm64`, `darwin_arm64` … */
export function providerPlatform(platform: string, arch: string): string {
  const goArch: Record<string, string> = { x64: "amd64", arm64: "arm64", ia32: "386", arm: "arm" };
  return `${platform}_${goArch[arch] ?? arch}`;
}

/**
 * How to pre-seed a provider so that init never needs a registry: `~/.terraform.d/plugins` is a
 * local mirror both CLIs read without any configuration (unless a provider_installation block
 * replaces the implied methods; then name the mirror there).
 */
export function mirrorInstructions(
  availability: ProviderAvailability,
  options: {
    readonly program: string;
    readonly platform: string;
    readonly renderedDir: string;
    readonly home: string;
  },
): string[] {
  const [host, namespace, type] = availability.address.split("/");
  const mirror = `${options.home}/.terraform.d/plugins`;
  const zip = `terraform-provider-${type}_${availability.version}_${options.platform}.zip`;
  const lines = [
    `Pre-seed a local mirror once, on a machine that can reach ${host}:`,
    `  ${options.program} -chdir=${options.renderedDir} providers mirror -platform=${options.platform} ${mirror}`,
    `or put the release file ${zip} into ${mirror}/${host}/${namespace}/${type}/ (copied from such a machine).`,
  ];
  if (availability.explicitInstallation) {
    lines.push(
      `${availability.cliConfigFile} has a provider_installation block, which replaces that directory: name the mirror there, and exclude the provider from direct:`,
      `  provider_installation {`,
      `    filesystem_mirror { path = "${mirror}" }`,
      `    direct { exclude = ["${availability.address}"] }`,
      `  }`,
    );
  }
  return lines;
}
