import type { CheckFix, DistroFamily } from "./types.js";

/**
 * Package names per distribution for what homelab needs on the host. Facts from each
 * distribution's repositories: Arch `extra`, Debian 12 / Ubuntu 24.04, Fedora 41+.
 */
export const HOST_PACKAGES = {
  opentofu: { arch: ["opentofu"], debian: [], fedora: ["opentofu"] },
  libvirt: {
    arch: ["libvirt", "qemu-base", "dnsmasq"],
    debian: ["libvirt-daemon-system", "libvirt-clients", "qemu-system-x86", "qemu-utils", "dnsmasq-base"],
    fedora: ["libvirt-daemon-kvm", "libvirt-client", "qemu-kvm", "dnsmasq"],
  },
  qemu: { arch: ["qemu-base"], debian: ["qemu-system-x86", "qemu-utils"], fedora: ["qemu-kvm"] },
  dnsmasq: { arch: ["dnsmasq"], debian: ["dnsmasq-base"], fedora: ["dnsmasq"] },
  ssh: { arch: ["openssh"], debian: ["openssh-client"], fedora: ["openssh-clients"] },
} as const satisfies Record<string, Record<DistroFamily, readonly string[]>>;

export type HostPackage = keyof typeof HOST_PACKAGES;

const INSTALL: Readonly<Record<DistroFamily, (packages: readonly string[]) => string>> = {
  arch: (packages) => `sudo pacman -S --needed ${packages.join(" ")}`,
  debian: (packages) => `sudo apt install ${packages.join(" ")}`,
  fedora: (packages) => `sudo dnf install ${packages.join(" ")}`,
};

/** Install commands for `what`, per distribution; `extra` commands follow the install. */
export function installCommands(
  what: HostPackage,
  extra: Partial<Record<DistroFamily, readonly string[]>> = {},
): Partial<Record<DistroFamily, readonly string[]>> {
  const commands: Partial<Record<DistroFamily, readonly string[]>> = {};
  for (const family of ["arch", "debian", "fedora"] as const) {
    const packages = HOST_PACKAGES[what][family];
    const install = packages.length > 0 ? [INSTALL[family](packages)] : [];
    commands[family] = [...install, ...(extra[family] ?? [])];
  }
  return commands;
}

/** The same commands on every distribution. */
export function everywhere(...commands: string[]): Partial<Record<DistroFamily, readonly string[]>> {
  return { arch: commands, debian: commands, fedora: commands };
}

/** OpenTofu: packaged by Arch and Fedora; on Debian/Ubuntu from OpenTofu's own repository or snap. */
export const INSTALL_OPENTOFU: CheckFix = {
  text: "Install OpenTofu (or Terraform ≥ 1.5); homelab runs whichever it finds, `tofu` first.",
  commands: installCommands("opentofu", {
    debian: [
      "sudo snap install --classic opentofu   # or OpenTofu's apt repository: https://opentofu.org/docs/intro/install/deb",
    ],
  }),
};

export const START_LIBVIRT = everywhere("sudo systemctl enable --now libvirtd");
