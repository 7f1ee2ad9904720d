// Who runs doctor decides the commands' `sudo`; overlapping package fixes get one combined install.
import { describe, expect, it } from "vitest";
import { doctorReportData, formatDoctorReport, runDoctor } from "../../src/doctor/index.js";
import { fakeHost, ok, plan } from "./fake-host.js";

/** A Debian host without libvirt, QEMU, dnsmasq and OpenSSH: four checks ask for packages. */
function bareDebian(user: { uid: number; gid: number }, programs: Record<string, string> = {}) {
  return fakeHost({
    user,
    texts: { "/etc/os-release": 'ID=debian\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n' },
    programs: { tofu: "/usr/bin/tofu", ...programs },
    runs: { "/usr/bin/tofu version -json": ok('{"terraform_version":"1.8.2"}') },
  });
}

const image = { cacheDir: "/home/me/.cache/homelab/x", cached: false };

describe("commands as the user who runs them", () => {
  it("drops sudo for root (who may not have it), in the text and in --json", async () => {
    const report = await runDoctor(plan(), { probes: bareDebian({ uid: 0, gid: 0 }), image });
    expect(report.privilege).toEqual({ root: true, sudo: false });
    const text = formatDoctorReport(report);
    expect(text).toContain(
      "    apt install libvirt-daemon-system libvirt-clients qemu-system-x86 qemu-utils dnsmasq-base\n",
    );
    expect(text).toContain("    systemctl enable --now libvirtd\n");
    expect(text).not.toMatch(/\bsudo /);
    expect(JSON.stringify(doctorReportData(report))).not.toMatch(/\bsudo /);
  });

  it("keeps sudo for a user who has it, and says to run as root when there is no sudo", async () => {
    const withSudo = formatDoctorReport(
      await runDoctor(plan(), {
        probes: bareDebian({ uid: 1000, gid: 1000 }, { sudo: "/usr/bin/sudo" }),
        image,
      }),
    );
    expect(withSudo).toContain("    sudo apt install libvirt-daemon-system");
    expect(withSudo).not.toContain("sudo is not installed");
    const withoutSudo = formatDoctorReport(
      await runDoctor(plan(), { probes: bareDebian({ uid: 1000, gid: 1000 }), image }),
    );
    expect(withoutSudo).toContain("(sudo is not installed here: run the commands as root, without `sudo`.)");
  });
});

describe("one install for overlapping fixes", () => {
  it("offers every package the checks ask for in one command per distribution, each once", async () => {
    const report = await runDoctor(plan(), {
      probes: bareDebian({ uid: 1000, gid: 1000 }, { sudo: "/usr/bin/sudo" }),
      image,
    });
    const asking = report.checks
      .filter((check) => check.status !== "ok" && check.fix?.packages)
      .map((c) => c.id);
    expect(asking).toEqual(expect.arrayContaining(["libvirt", "virtualization", "dnsmasq", "ssh"]));
    expect(report.installAll).toEqual({
      arch: "sudo pacman -S --needed libvirt qemu-base dnsmasq openssh",
      debian:
        "sudo apt install libvirt-daemon-system libvirt-clients qemu-system-x86 qemu-utils dnsmasq-base openssh-client",
      fedora: "sudo dnf install libvirt-daemon-kvm libvirt-client qemu-kvm dnsmasq openssh-clients",
    });
    const text = formatDoctorReport(report);
    expect(text).toContain(
      "Or install every package above with one command:\n    sudo apt install libvirt-daemon-system libvirt-clients qemu-system-x86 qemu-utils dnsmasq-base openssh-client\n",
    );
    const all = formatDoctorReport(report, { allDistros: true });
    expect(all).toContain("    Arch: sudo pacman -S --needed libvirt qemu-base dnsmasq openssh\n");
    expect(all).toContain(
      "    Fedora: sudo dnf install libvirt-daemon-kvm libvirt-client qemu-kvm dnsmasq openssh-clients\n",
    );
  });

  it("offers nothing combined when only one check asks for packages", async () => {
    const report = await runDoctor(plan(), {
      probes: bareDebian(
        { uid: 1000, gid: 1000 },
        {
          sudo: "/usr/bin/sudo",
          ssh: "/usr/bin/ssh",
          "ssh-keygen": "/usr/bin/ssh-keygen",
          dnsmasq: "/usr/sbin/dnsmasq",
          "qemu-system-x86_64": "/usr/bin/qemu-system-x86_64",
        },
      ),
      image,
    });
    expect(report.installAll).toBeUndefined();
    expect(formatDoctorReport(report)).not.toContain("with one command");
  });
});
