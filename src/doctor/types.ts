import type { ErrorCode } from "../errors/index.js";

/** Distribution families homelab gives install commands for, in the order they are listed. */
export const DISTRO_FAMILIES = ["arch", "debian", "fedora"] as const;
export type DistroFamily = (typeof DISTRO_FAMILIES)[number];

export const DISTRO_LABELS: Readonly<Record<DistroFamily, string>> = {
  arch: "Arch",
  debian: "Debian/Ubuntu",
  fedora: "Fedora",
};

/** `ok` passes; `warning` is worth reading but does not stop `up`; `failure` blocks `up`. */
export type CheckStatus = "ok" | "warning" | "failure";

/** What to do about a warning or failure: a sentence, and commands per distribution. */
export interface CheckFix {
  /** Applies everywhere, e.g. "Re-login after adding yourself to the libvirt group." */
  readonly text?: string;
  /** Shell commands per distribution family (each string one command line). */
  readonly commands?: Partial<Record<DistroFamily, readonly string[]>>;
  /** The packages those commands install, so that the report can offer one combined install. */
  readonly packages?: Partial<Record<DistroFamily, readonly string[]>>;
}

export type CheckId =
  | "tofu"
  | "libvirt"
  | "virtualization"
  | "pool"
  | "security-module"
  | "dnsmasq"
  | "network"
  | "ssh"
  | "disk-space"
  | "provider";

/** One line of `homelab doctor`. */
export interface CheckResult {
  readonly id: CheckId;
  readonly status: CheckStatus;
  /** One line: what was found ("OpenTofu 1.8.2 at /usr/bin/tofu"). */
  readonly summary: string;
  /** The error code whose page explains a warning or failure. */
  readonly code?: ErrorCode;
  readonly fix?: CheckFix;
  /** Further facts worth a line each (what was skipped and why, which user was assumed). */
  readonly notes?: readonly string[];
}

export interface DoctorReport {
  readonly environment: string;
  readonly uri: string;
  /** The distribution detected from /etc/os-release, if it is one homelab knows. */
  readonly distro: DistroFamily | undefined;
  /** PRETTY_NAME from /etc/os-release, for the header. */
  readonly distroName: string | undefined;
  readonly checks: readonly CheckResult[];
  /** True when any check failed: `up` must stop. */
  readonly blocking: boolean;
  /**
   * One command per distribution installing every package the failed and warned checks ask for
   * (only when more than one check asks), so overlapping fixes are not run one after another.
   */
  readonly installAll?: Partial<Record<DistroFamily, string>>;
  /** Who runs doctor: root needs no `sudo` in front of the commands (and may not have sudo). */
  readonly privilege?: Privilege;
}

export interface Privilege {
  readonly root: boolean;
  readonly sudo: boolean;
}
