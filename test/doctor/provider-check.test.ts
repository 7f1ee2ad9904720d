// doctor's "libvirt provider" check: installable offline or already cached, else how to pre-seed.
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkProvider, formatDoctorReport, type ProviderCheckInput } from "../../src/doctor/index.js";
import type { DoctorReport } from "../../src/doctor/types.js";

function input(env: Record<string, string> = {}): { input: ProviderCheckInput; root: string; home: string } {
  const root = mkdtempSync(join(tmpdir(), "homelab-doctor-provider-"));
  const home = join(root, "home");
  mkdirSync(home);
  return {
    root,
    home,
    input: {
      renderedDir: ".homelab/development",
      platform: "linux_amd64",
      query: (flavor) => ({
        provider: { source: "dmacvicar/libvirt", version: "0.9.7" },
        flavor,
        platform: "linux_amd64",
        dataDir: join(root, "state", "development", "tofu", "data"),
        dependencyLocks: [],
        workingDir: join(root, ".homelab", "development"),
        home,
        env: { HOME: home, XDG_DATA_DIRS: join(root, "share"), ...env },
      }),
    },
  };
}

const tofu = { program: "tofu" as const, path: "/usr/bin/tofu", version: "1.8.2" };

describe("the libvirt provider check", () => {
  it("is a warning naming the registry, with the mirror command, when init would download it", async () => {
    const { input: check, home } = input();
    const result = await checkProvider(check, tofu);
    expect(result).toMatchObject({ id: "provider", status: "warning", code: "provider-not-cached" });
    expect(result.summary).toBe(
      "`tofu init` will download dmacvicar/libvirt 0.9.7 from registry.opentofu.org: it is not installed, not in a plugin cache and not in a filesystem mirror",
    );
    const report: DoctorReport = {
      environment: "development",
      uri: "qemu:///system",
      distro: "debian",
      distroName: undefined,
      blocking: false,
      checks: [result],
    };
    const text = formatDoctorReport(report);
    expect(text).toContain(
      `    tofu -chdir=.homelab/development providers mirror -platform=linux_amd64 ${home}/.terraform.d/plugins\n`,
    );
    expect(text).toContain(
      "    Fine with internet access. To keep init offline, pre-seed a local mirror once (after `homelab render`, on a machine that can reach registry.opentofu.org):\n",
    );
    expect(text).toContain(
      `    # or copy terraform-provider-libvirt_0.9.7_linux_amd64.zip (from such a machine) into ${home}/.terraform.d/plugins/registry.opentofu.org/dmacvicar/libvirt/\n`,
    );
    expect(text).toContain("docs: docs/common-errors/provider-not-cached.md");
    expect(text).toContain("This host can run development. 1 warning (do not block).");
  });

  it("passes once the package is in ~/.terraform.d/plugins", async () => {
    const { input: check, home } = input();
    const dir = join(home, ".terraform.d", "plugins", "registry.terraform.io", "dmacvicar", "libvirt");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "terraform-provider-libvirt_0.9.7_linux_amd64.zip"), "zip");
    const result = await checkProvider(check, { ...tofu, program: "terraform" });
    expect(result.status).toBe("ok");
    expect(result.summary).toBe(
      `dmacvicar/libvirt 0.9.7 is in the local mirror directory ${home}/.terraform.d/plugins: \`terraform init\` needs no registry`,
    );
  });

  it("fails when the CLI configuration allows only a mirror that lacks it (init would fail)", async () => {
    const root = mkdtempSync(join(tmpdir(), "homelab-doctor-rc-"));
    mkdirSync(join(root, "mirror"));
    writeFileSync(
      join(root, "rc"),
      `provider_installation {\n  filesystem_mirror { path = "${join(root, "mirror")}" }\n}\n`,
    );
    const { input: check } = input({ TF_CLI_CONFIG_FILE: join(root, "rc") });
    const result = await checkProvider(check, tofu);
    expect(result.status).toBe("failure");
    expect(result.summary).toMatch(/so `tofu init` will fail$/);
    expect(result.fix?.commands?.debian?.join("\n")).toContain(
      'direct { exclude = ["registry.opentofu.org/dmacvicar/libvirt"] }',
    );
  });

  it("is not checked without OpenTofu or Terraform (the tofu check fails instead)", async () => {
    expect(await checkProvider(input().input, undefined)).toEqual({
      id: "provider",
      status: "ok",
      summary: "not checked: no OpenTofu or Terraform to install it",
    });
  });
});
