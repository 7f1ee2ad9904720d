import { type CheckFix, DISTRO_FAMILIES, DISTRO_LABELS, type DistroFamily } from "./types.js";

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

export const INSTALL: Readonly<Record<DistroFamily, (packages: readonly string[]) => string>> = {
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

/** The packages `installCommands(what)` installs, per distribution (for the combined install). */
export function installPackages(what: HostPackage): Partial<Record<DistroFamily, readonly string[]>> {
  return { ...HOST_PACKAGES[what] };
}

/** The same commands on every distribution. */
export function everywhere(...commands: string[]): Partial<Record<DistroFamily, readonly string[]>> {
  return { arch: commands, debian: commands, fedora: commands };
}

/** Where Debian and Ubuntu users get OpenTofu: neither distribution packages it. */
export const OPENTOFU_APT_REPOSITORY = "https://opentofu.org/docs/intro/install/deb/";

/**
 * How to install OpenTofu, the one advice homelab gives (doctor, the tofu-not-found error, the
 * README and docs/common-errors/tofu-not-found.md; a test keeps the documents in step):
 * Arch (extra) and Fedora (41+) package it as `opentofu`; on Debian/Ubuntu it comes from
 * OpenTofu's own apt repository as `tofu`.
 */
export const OPENTOFU_INSTALL: Readonly<
  Record<DistroFamily, { readonly first?: string; readonly command: string }>
> = {
  arch: { command: "sudo pacman -S --needed opentofu" },
  debian: {
    first: `add OpenTofu's apt repository (${OPENTOFU_APT_REPOSITORY})`,
    command: "sudo apt install tofu",
  },
  fedora: { command: "sudo dnf install opentofu" },
};

export const INSTALL_OPENTOFU: CheckFix = {
  text: "Install OpenTofu (or Terraform ≥ 1.5); homelab runs whichever it finds, `tofu` first.",
  commands: Object.fromEntries(
    DISTRO_FAMILIES.map((family) => {
      const { first, command } = OPENTOFU_INSTALL[family];
      return [family, first ? [`# first ${first}`, command] : [command]];
    }),
  ),
};

/** The same advice as text, one line per distribution (for errors outside doctor). */
export function openTofuInstallText(privilege?: { readonly root: boolean }): string {
  const lines = DISTRO_FAMILIES.map((family) => {
    const { first, command } = OPENTOFU_INSTALL[family];
    const line = first ? `${first}, then ${command}` : command;
    return `  ${`${DISTRO_LABELS[family]}:`.padEnd(15)}${privilege?.root ? withoutSudo(line) : line}`;
  });
  return `Install OpenTofu:\n${lines.join("\n")}`;
}

/** A command as root runs it: without `sudo ` (root may not even have sudo). */
export function withoutSudo(command: string): string {
  return command.replace(/(?<![\w/-])sudo\s+/g, "");
}

export const START_LIBVIRT = everywhere("sudo systemctl enable --now libvirtd");
