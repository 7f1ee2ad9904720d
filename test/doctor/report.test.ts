// The doctor report as a user reads it, and runDoctor end to end on a table host.
import { describe, expect, it } from "vitest";
import {
  doctorBlockingError,
  doctorReportData,
  formatDoctorReport,
  runDoctor,
} from "../../src/doctor/index.js";
import type { DoctorReport } from "../../src/doctor/types.js";
import { dir, fakeHost, ok, plan } from "./fake-host.js";

const report = (distro: DoctorReport["distro"]): DoctorReport => ({
  environment: "development",
  uri: "qemu:///system",
  distro,
  distroName: distro === "arch" ? "Arch Linux" : undefined,
  blocking: true,
  checks: [
    { id: "tofu", status: "ok", summary: "OpenTofu 1.8.2 (/usr/bin/tofu)" },
    {
      id: "dnsmasq",
      status: "failure",
      summary: "dnsmasq is not installed",
      code: "dnsmasq-missing",
      fix: {
        text: "Install dnsmasq.",
        commands: {
          arch: ["sudo pacman -S dnsmasq"],
          debian: ["sudo apt install dnsmasq-base"],
          fedora: ["sudo dnf install dnsmasq"],
        },
      },
    },
    {
      id: "virtualization",
      status: "failure",
      summary: "no KVM",
      code: "kvm-unavailable",
      fix: { commands: { arch: ["ls /dev/kvm"], debian: ["ls /dev/kvm"], fedora: ["ls /dev/kvm"] } },
    },
    {
      id: "security-module",
      status: "warning",
      summary: "AppArmor",
      code: "security-module-denied",
      notes: ["a note"],
    },
  ],
});

describe("formatDoctorReport", () => {
  it("shows one line per check, the detected distribution's commands, and the verdict", () => {
    expect(formatDoctorReport(report("arch"))).toBe(
      [
        "homelab doctor: development (qemu:///system) on Arch Linux",
        "✔ OpenTofu          OpenTofu 1.8.2 (/usr/bin/tofu)",
        "✖ dnsmasq           dnsmasq is not installed",
        "    Install dnsmasq.",
        "    sudo pacman -S dnsmasq",
        "    docs: docs/common-errors/dnsmasq-missing.md",
        "✖ QEMU/KVM          no KVM",
        "    ls /dev/kvm",
        "    docs: docs/common-errors/kvm-unavailable.md",
        "⚠ AppArmor/SELinux  AppArmor",
        "    a note",
        "    docs: docs/common-errors/security-module-denied.md",
        "2 checks failed: `homelab up` cannot run here until they are fixed. 1 warning (do not block).",
        "(Commands for Arch; `homelab doctor --all-distros` shows Arch, Debian/Ubuntu and Fedora.)",
        "",
      ].join("\n"),
    );
  });

  it("lists Arch, Debian/Ubuntu and Fedora in that order for an unknown distribution or --all-distros", () => {
    for (const text of [
      formatDoctorReport(report(undefined)),
      formatDoctorReport(report("fedora"), { allDistros: true }),
    ]) {
      const lines = text.split("\n");
      const start = lines.indexOf("    Install dnsmasq.");
      expect(lines.slice(start + 1, start + 7)).toEqual([
        "    Arch:",
        "      sudo pacman -S dnsmasq",
        "    Debian/Ubuntu:",
        "      sudo apt install dnsmasq-base",
        "    Fedora:",
        "      sudo dnf install dnsmasq",
      ]);
      expect(text).toContain("✖ QEMU/KVM          no KVM\n    ls /dev/kvm\n"); // identical everywhere: once
    }
  });

  it("says the host is ready when nothing failed, and colours only on request", () => {
    const ready: DoctorReport = {
      ...report("debian"),
      blocking: false,
      checks: [{ id: "tofu", status: "ok", summary: "fine" }],
    };
    expect(formatDoctorReport(ready)).toMatch(/This host can run development\.\n$/);
    expect(formatDoctorReport(ready)).not.toContain("\u001b[");
    expect(formatDoctorReport(ready, { color: true })).toContain("\u001b[32m✔\u001b[0m");
  });

  it("gives `up` an error that lists every failure with the first one's code", () => {
    const error = doctorBlockingError(report("arch"));
    expect(error?.code).toBe("dnsmasq-missing");
    expect(error?.details.map((detail) => detail.message)).toEqual([
      "dnsmasq: dnsmasq is not installed [dnsmasq-missing]",
      "QEMU/KVM: no KVM [kvm-unavailable]",
    ]);
    expect(doctorBlockingError({ ...report("arch"), checks: [] })).toBeUndefined();
  });

  it("has a JSON shape with labels and docs pages", () => {
    const data = doctorReportData(report("arch"));
    expect(data).toMatchObject({ environment: "development", blocking: true, distro: "arch" });
    expect((data.checks as { docs?: string }[])[1]?.docs).toBe("docs/common-errors/dnsmasq-missing.md");
  });
});

describe("runDoctor on a table host", () => {
  it("runs every check in a fixed order and blocks on failures", async () => {
    const probes = fakeHost({
      texts: { "/etc/os-release": 'ID=arch\nPRETTY_NAME="Arch Linux"\n' },
      programs: { tofu: "/usr/bin/tofu", ssh: "/usr/bin/ssh", "ssh-keygen": "/usr/bin/ssh-keygen" },
      runs: {
        "/usr/bin/tofu version -json": ok('{"terraform_version":"1.8.2"}'),
        "virsh -q -c qemu:///system version": {
          exitCode: 1,
          stdout: "",
          stderr:
            "error: failed to connect to the hypervisor\nerror: Failed to connect socket to '/run/libvirt/libvirt-sock': No such file or directory\n",
          missing: false,
          timedOut: false,
        },
      },
      stats: { "/var": dir(0o755), "/var/lib": dir(0o755) },
    });
    const result = await runDoctor(plan(), {
      probes,
      image: { cacheDir: "/home/me/.cache/x", cached: false },
    });
    expect(result.checks.map((check) => check.id)).toEqual([
      "tofu",
      "libvirt",
      "virtualization",
      "pool",
      "security-module",
      "dnsmasq",
      "network",
      "ssh",
      "disk-space",
      "provider",
    ]);
    expect(result.distro).toBe("arch");
    expect(result.blocking).toBe(true);
    const byId = Object.fromEntries(result.checks.map((check) => [check.id, check.status]));
    expect(byId).toMatchObject({ tofu: "ok", libvirt: "failure", dnsmasq: "failure", ssh: "ok", pool: "ok" });
    const text = formatDoctorReport(result);
    expect(text).toContain("sudo pacman -S --needed libvirt qemu-base dnsmasq");
    expect(text).not.toContain("apt install");
  });
});
