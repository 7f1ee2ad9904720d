import { DEFAULT_FLUX_VERSION } from "../gitops/flux-release.js";
import {
  DEFAULT_FLATCAR,
  DEFAULT_K3S_VERSION,
  type FlatcarChannel,
  K3S_AIRGAP_IMAGES,
  K3S_BINARIES,
  LIBVIRT_PROVIDER_VERSION,
  type PinnedArtifact,
} from "../pins/index.js";

/**
 * What homelab knows without the network: the versions a new environment gets and the
 * artifact hashes recorded for them in src/pins (facts from published sources). The lock file
 * is seeded from these; tests pass their own.
 */
export interface HomelabPins {
  readonly k3sVersion: string;
  readonly k3sBinaries: Readonly<Record<string, PinnedArtifact>>;
  /** k3s's amd64 air-gap image archives by k3s version (absent: none known). */
  readonly k3sAirgapImages?: Readonly<Record<string, PinnedArtifact>>;
  readonly flatcar: Readonly<Partial<Record<FlatcarChannel, string>>>;
  /** sha512 of Flatcar QEMU images known without the network, keyed `<channel>/<version>`. */
  readonly flatcarSha512: Readonly<Record<string, string>>;
  readonly providerVersion: string;
  readonly fluxVersion: string;
  /**
   * Add-on images by reference (`ghcr.io/kube-vip/kube-vip:v1.2.3`): manifest digest and archive
   * SHA-256 known without the network. homelab ships none (no digest could be confirmed from a
   * publication here): `homelab lock --update` pulls the image and records both. Tests pass their own.
   */
  readonly addonImages?: Readonly<
    Record<string, { readonly digest: string; readonly archiveSha256: string }>
  >;
}

export const BUILTIN_PINS: HomelabPins = {
  k3sVersion: DEFAULT_K3S_VERSION,
  k3sBinaries: K3S_BINARIES,
  k3sAirgapImages: K3S_AIRGAP_IMAGES,
  flatcar: DEFAULT_FLATCAR,
  // None published for the pinned releases (research notes): `lock --update` reads Flatcar's signed DIGESTS.
  flatcarSha512: {},
  providerVersion: LIBVIRT_PROVIDER_VERSION,
  fluxVersion: DEFAULT_FLUX_VERSION,
};
