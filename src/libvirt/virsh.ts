import { HomelabError } from "../errors/index.js";
import { type ProcessResult, type ProcessRunner, runProcess } from "./process.js";

/** How a failed virsh call failed, from its stderr (virsh runs with LC_ALL=C, so English). */
export type VirshFailureKind = "unreachable" | "permission-denied" | "not-found" | "other";

/** Options every libvirt call accepts. */
export interface VirshOptions {
  /** Runs virsh; default the real one. Tests inject recorded outputs. */
  readonly runner?: ProcessRunner;
  /** Per-call timeout in milliseconds. Default 20 000 (a hung daemon must not hang homelab). */
  readonly timeoutMs?: number;
}

const PERMISSION_PATTERNS = [
  /permission denied/i,
  /authentication (unavailable|failed)/i,
  /access denied/i,
  /not authori[sz]ed/i,
  /polkit/i,
  // Without D-Bus, a non-root client cannot ask polkit: in practice a missing permission.
  /unable to get system bus connection/i,
];
const UNREACHABLE_PATTERNS = [
  /failed to connect socket/i,
  /connection refused/i,
  /no such file or directory/i,
  /cannot recv data/i,
  /end of file while reading data/i,
  /no connection driver available/i,
  /unable to connect to server/i,
];
const NOT_FOUND_PATTERNS = [
  /failed to get (domain|pool|network)/i,
  /(domain|storage pool|network) not found/i,
  /no (domain|storage pool|network) with matching/i,
];

/**
 * Classifies virsh's stderr. Connection failures come first: virsh prints "failed to connect to
 * the hypervisor" and then the reason, which decides between a stopped daemon and a missing
 * permission.
 */
export function classifyVirshFailure(stderr: string): VirshFailureKind {
  if (PERMISSION_PATTERNS.some((pattern) => pattern.test(stderr))) return "permission-denied";
  if (/failed to connect to the hypervisor/i.test(stderr)) return "unreachable";
  if (NOT_FOUND_PATTERNS.some((pattern) => pattern.test(stderr))) return "not-found";
  if (UNREACHABLE_PATTERNS.some((pattern) => pattern.test(stderr))) return "unreachable";
  return "other";
}

/** The last meaningful line virsh printed, without its "error: " prefix. */
export function virshReason(stderr: string): string {
  const lines = stderr
    .split("\n")
    .map((line) => line.replace(/^error:\s*/, "").trim())
    .filter((line) => line.length > 0 && !/^failed to connect to the hypervisor$/i.test(line));
  return lines.at(-1) ?? "virsh failed without a message";
}

/** True for URIs that talk to a daemon on this machine (no host part), where file checks apply. */
export function isLocalUri(uri: string): boolean {
  const match = /^[a-z0-9+]+:\/\/([^/]*)\//i.exec(uri);
  return match !== null && (match[1] === "" || match[1] === "localhost");
}

/** `qemu:///session`-style URIs: QEMU runs as the calling user instead of the QEMU system user. */
export function isSessionUri(uri: string): boolean {
  return /^[a-z0-9+]+:\/\/[^/]*\/session(\?|$)/i.test(uri);
}

export function unreachableError(uri: string, reason: string): HomelabError {
  return new HomelabError("libvirt-unreachable", `libvirt does not answer at ${uri}: ${reason}`, {
    fix:
      "Start the libvirt daemon and make sure the URI is right: `sudo systemctl enable --now libvirtd` " +
      "(Arch, Debian/Ubuntu, Fedora), then `virsh -c " +
      uri +
      " version` should answer. `homelab doctor` lists the packages to install if libvirt is missing.",
  });
}

export function permissionDeniedError(uri: string, reason: string): HomelabError {
  return new HomelabError("libvirt-permission-denied", `libvirt at ${uri} refused this user: ${reason}`, {
    fix:
      "Add yourself to the libvirt group and log in again: `sudo usermod -aG libvirt $USER` " +
      "(Arch, Debian/Ubuntu, Fedora). Then `virsh -c " +
      uri +
      " list --all` should answer without sudo.",
  });
}

/** Turns a failed connection-level virsh result into the user-facing error. */
export function virshError(uri: string, args: readonly string[], result: ProcessResult): HomelabError {
  if (result.missing) {
    return new HomelabError("libvirt-unreachable", "virsh (the libvirt client) is not installed", {
      fix:
        "Install libvirt: Arch `sudo pacman -S libvirt`, Debian/Ubuntu `sudo apt install libvirt-clients libvirt-daemon-system`, " +
        "Fedora `sudo dnf install libvirt-client libvirt-daemon-kvm`. `homelab doctor` checks the rest.",
    });
  }
  if (result.timedOut) {
    return unreachableError(uri, `\`virsh ${args.join(" ")}\` did not answer in time`);
  }
  const reason = virshReason(result.stderr);
  const kind = classifyVirshFailure(result.stderr);
  if (kind === "permission-denied") return permissionDeniedError(uri, reason);
  if (kind === "unreachable") return unreachableError(uri, reason);
  return new HomelabError("libvirt-unreachable", `\`virsh -c ${uri} ${args.join(" ")}\` failed: ${reason}`, {
    fix: `Run \`virsh -c ${uri} ${args.join(" ")}\` yourself to see the full message; \`homelab doctor\` checks the host.`,
  });
}

/**
 * Runs `virsh -c <uri> <args>` with LC_ALL=C (stable English output). Resolves with the raw
 * result, so callers decide which failures are answers (a missing domain) and which are errors.
 */
export function runVirsh(
  uri: string,
  args: readonly string[],
  options: VirshOptions = {},
): Promise<ProcessResult> {
  const runner = options.runner ?? runProcess;
  return runner("virsh", ["-q", "-c", uri, ...args], {
    timeoutMs: options.timeoutMs ?? 20_000,
    env: { LC_ALL: "C", LANG: "C" },
  });
}

/** Like runVirsh, but any failure becomes a HomelabError. Resolves with stdout. */
export async function virsh(
  uri: string,
  args: readonly string[],
  options: VirshOptions = {},
): Promise<string> {
  const result = await runVirsh(uri, args, options);
  if (result.exitCode !== 0 || result.missing || result.timedOut) throw virshError(uri, args, result);
  return result.stdout;
}

/** Splits `--name` listings: one name per line, blank lines dropped. */
export function parseNameList(stdout: string): string[] {
  return stdout
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
}
