import { errorPage, HomelabError } from "../errors/index.js";
import {
  type CheckId,
  type CheckResult,
  DISTRO_FAMILIES,
  DISTRO_LABELS,
  type DistroFamily,
  type DoctorReport,
} from "./types.js";

export const CHECK_LABELS: Readonly<Record<CheckId, string>> = {
  tofu: "OpenTofu",
  libvirt: "libvirt",
  virtualization: "QEMU/KVM",
  pool: "storage pool",
  "security-module": "AppArmor/SELinux",
  dnsmasq: "dnsmasq",
  network: "network",
  ssh: "SSH",
  "disk-space": "disk space",
  provider: "libvirt provider",
};

export interface FormatDoctorOptions {
  /** Show install commands for Arch, Debian/Ubuntu and Fedora, not only the detected one. */
  readonly allDistros?: boolean;
  readonly color?: boolean;
}

const paint = (enabled: boolean | undefined, code: string, text: string) =>
  enabled ? `\u001b[${code}m${text}\u001b[0m` : text;
const SYMBOLS = { ok: ["✔", "32"], warning: ["⚠", "33"], failure: ["✖", "31"] } as const;

/** Which distributions' commands to show: the detected one (when it has commands), else all. */
function distrosToShow(check: CheckResult, detected: DistroFamily | undefined, all: boolean): DistroFamily[] {
  const available = DISTRO_FAMILIES.filter((family) => (check.fix?.commands?.[family]?.length ?? 0) > 0);
  if (!all && detected && available.includes(detected)) return [detected];
  return available;
}

/** The lines under a warning or failure: the fix, commands per distribution, the docs page. */
function fixLines(check: CheckResult, report: DoctorReport, options: FormatDoctorOptions): string[] {
  const lines: string[] = [];
  for (const note of check.notes ?? []) lines.push(`    ${paint(options.color, "2", note)}`);
  if (check.status === "ok") return lines;
  if (check.fix?.text) lines.push(`    ${check.fix.text}`);
  const families = distrosToShow(check, report.distro, options.allDistros === true);
  const texts = families.map((family) => (check.fix?.commands?.[family] ?? []).join("\n"));
  if (families.length > 1 && texts.every((text) => text === texts[0])) {
    // The same commands everywhere: print them once, unlabelled.
    for (const command of check.fix?.commands?.[families[0] as DistroFamily] ?? []) {
      lines.push(`    ${paint(options.color, "1", command)}`);
    }
    families.length = 0;
  }
  const labelled = families.length > 1 || report.distro === undefined || !families.includes(report.distro);
  for (const family of families) {
    const commands = check.fix?.commands?.[family] ?? [];
    if (labelled) lines.push(`    ${DISTRO_LABELS[family]}:`);
    for (const command of commands)
      lines.push(`${labelled ? "      " : "    "}${paint(options.color, "1", command)}`);
  }
  if (check.code) lines.push(`    ${paint(options.color, "2", `docs: ${errorPage(check.code)}`)}`);
  return lines;
}

/** The combined install, for the detected distribution (every distribution when unknown). */
function installAllLines(report: DoctorReport, options: FormatDoctorOptions): string[] {
  const commands = report.installAll;
  if (!commands) return [];
  const families = DISTRO_FAMILIES.filter((family) => commands[family]);
  const shown =
    !options.allDistros && report.distro && families.includes(report.distro) ? [report.distro] : families;
  const lines = ["Or install every package above with one command:"];
  for (const family of shown) {
    const command = commands[family] ?? "";
    lines.push(
      shown.length > 1
        ? `    ${DISTRO_LABELS[family]}: ${paint(options.color, "1", command)}`
        : `    ${paint(options.color, "1", command)}`,
    );
  }
  return lines;
}

/**
 * The human report: a header, one line per check with ✔ / ⚠ / ✖, fixes indented below, and
 * a verdict. Install commands are shown for the detected distribution (all three when it is
 * not one homelab knows, or with `allDistros`).
 */
export function formatDoctorReport(report: DoctorReport, options: FormatDoctorOptions = {}): string {
  const on = report.distroName ? ` on ${report.distroName}` : "";
  const lines = [`homelab doctor: ${report.environment} (${report.uri})${on}`];
  const width = Math.max(...Object.values(CHECK_LABELS).map((label) => label.length));
  for (const check of report.checks) {
    const [symbol, color] = SYMBOLS[check.status];
    lines.push(
      `${paint(options.color, color, symbol)} ${CHECK_LABELS[check.id].padEnd(width)}  ${check.summary}`,
    );
    lines.push(...fixLines(check, report, options));
  }
  lines.push(...installAllLines(report, options));
  const failures = report.checks.filter((check) => check.status === "failure").length;
  const warnings = report.checks.filter((check) => check.status === "warning").length;
  const warningText = warnings > 0 ? ` ${warnings} warning${warnings === 1 ? "" : "s"} (do not block).` : "";
  lines.push(
    failures > 0
      ? `${failures} check${failures === 1 ? "" : "s"} failed: \`homelab up\` cannot run here until ${failures === 1 ? "it is" : "they are"} fixed.${warningText}`
      : `This host can run ${report.environment}.${warningText}`,
  );
  if (report.privilege && !report.privilege.root && !report.privilege.sudo) {
    lines.push("(sudo is not installed here: run the commands as root, without `sudo`.)");
  }
  if (
    !options.allDistros &&
    report.distro &&
    report.checks.some((check) => check.status !== "ok" && check.fix?.commands)
  ) {
    lines.push(
      `(Commands for ${DISTRO_LABELS[report.distro]}; \`homelab doctor --all-distros\` shows Arch, Debian/Ubuntu and Fedora.)`,
    );
  }
  return `${lines.join("\n")}\n`;
}

/** The error `up` stops with when doctor found failures: every failure listed, the first one's code. */
export function doctorBlockingError(report: DoctorReport): HomelabError | undefined {
  const failures = report.checks.filter((check) => check.status === "failure");
  const [first] = failures;
  if (!first?.code) return undefined;
  return new HomelabError(
    first.code,
    `this host cannot run ${report.environment} yet: ${failures.length} host check${failures.length === 1 ? "" : "s"} failed`,
    {
      details: failures.map((check) => ({
        message: `${CHECK_LABELS[check.id]}: ${check.summary} [${check.code}]`,
      })),
      fix: `Fix the checks above (each lists its commands), then run \`homelab doctor ${report.environment}\` again.`,
    },
  );
}

/** The `--json` shape of a report. */
export function doctorReportData(report: DoctorReport): Record<string, unknown> {
  return {
    environment: report.environment,
    uri: report.uri,
    distro: report.distro ?? null,
    blocking: report.blocking,
    ...(report.installAll ? { installAll: report.installAll } : {}),
    checks: report.checks.map((check) => ({
      ...check,
      label: CHECK_LABELS[check.id],
      docs: check.code ? errorPage(check.code) : undefined,
    })),
  };
}
