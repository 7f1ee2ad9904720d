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
export interface MirrorInstructions {
  /** What to do, in a sentence. */
  readonly intro: string;
  /** The one command that pre-seeds the mirror. */
  readonly command: string;
  /** The other ways, as shell comments, one per line. */
  readonly alternatives: readonly string[];
}

export function mirrorInstructions(
  availability: ProviderAvailability,
  options: {
    readonly program: string;
    readonly platform: string;
    readonly renderedDir: string;
    readonly home: string;
  },
): MirrorInstructions {
  const [host, namespace, type] = availability.address.split("/");
  const mirror = `${options.home}/.terraform.d/plugins`;
  const zip = `terraform-provider-${type}_${availability.version}_${options.platform}.zip`;
  const alternatives = [
    `# or copy ${zip} (from such a machine) into ${mirror}/${host}/${namespace}/${type}/`,
  ];
  if (availability.explicitInstallation) {
    alternatives.push(
      `# ${availability.cliConfigFile} has a provider_installation block, which replaces that directory: add`,
      `#   filesystem_mirror { path = "${mirror}" }   and   direct { exclude = ["${availability.address}"] }`,
    );
  }
  return {
    intro: `pre-seed a local mirror once (after \`homelab render\`, on a machine that can reach ${host}):`,
    command: `${options.program} -chdir=${options.renderedDir} providers mirror -platform=${options.platform} ${mirror}`,
    alternatives,
  };
}
