import { readFileSync, readlinkSync, statSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { compileButane } from "../../src/butane/index.js";
import { parseFlags } from "../../src/cli/commands/butane/flags.js";
import { applyIgnition, ignitionValidate } from "../support/ignition.js";
import { IGNITION_TOOLS, withTools } from "../support/real-tools.js";
import { loadCases } from "./conformance-cases.js";

const validator = withTools(["ignition-validate"]);
const ignition = withTools(IGNITION_TOOLS);

/**
 * Ignition 2.14 (Debian) reads spec 3.0.0 to 3.3.0: every 3.2.0 (fcos 1.3.0) and 3.3.0
 * (flatcar 1.0.0, fcos 1.4.0) config the compiler produces must be valid for it. 3.4.0 and
 * 3.5.0-experimental outputs are checked against the recorded butane output only.
 */
const VALIDATED_VERSIONS = new Set(["3.2.0", "3.3.0"]);

function filesDirOf(args: readonly string[], dir: string): { filesDir?: string } {
  try {
    const { filesDir } = parseFlags(args).flags;
    return filesDir ? { filesDir: join(dir, filesDir) } : {};
  } catch {
    return {};
  }
}

validator.describe("real ignition-validate accepts every generated 3.2.0 and 3.3.0 config", () => {
  for (const c of loadCases()) {
    const result = compileButane(c.sourceBytes, filesDirOf(c.args, c.dir));
    if (!result.ignition || !VALIDATED_VERSIONS.has(result.ignitionVersion ?? "")) continue;
    it(c.name, () => {
      const outcome = ignitionValidate(result.ignition ?? "");
      expect(outcome.output).not.toMatch(/^error/m);
      expect(outcome.ok).toBe(true);
    });
  }
});

function compileCase(name: string): string {
  const dir = join(import.meta.dirname, "..", "fixtures", "butane-conformance", name);
  const result = compileButane(readFileSync(join(dir, "config.bu"), "utf8"), {
    filesDir: join(dir, "files"),
  });
  if (!result.ignition) throw new Error(`${name} did not compile: ${result.summary}`);
  return result.ignition;
}

const modeOf = (p: string) => statSync(p).mode & 0o7777;

ignition.describe("real Ignition applies the k3s-like configs to a scratch root", () => {
  it("p08 k3s server: files, modes, core's SSH key, enabled unit", () => {
    const { root } = applyIgnition(compileCase("p08-k3s-server"));
    expect(readFileSync(join(root, "etc/hostname"), "utf8")).toBe("k3s-dev-server-1");
    expect(modeOf(join(root, "etc/hostname"))).toBe(0o644);
    const k3s = readFileSync(join(root, "etc/rancher/k3s/config.yaml"), "utf8");
    expect(k3s).toContain("cluster-init: true");
    expect(modeOf(join(root, "etc/rancher/k3s/config.yaml"))).toBe(0o600);
    expect(modeOf(join(root, "etc/rancher/k3s"))).toBe(0o755);
    expect(readFileSync(join(root, "etc/flatcar/update.conf"), "utf8")).toContain(
      'LOCKSMITHD_REBOOT_WINDOW_START="Sun 04:00"',
    );
    expect(readFileSync(join(root, "home/core/.ssh/authorized_keys.d/ignition"), "utf8")).toContain(
      "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHNlcnZlcg admin@workstation",
    );
    expect(readFileSync(join(root, "etc/passwd"), "utf8")).toMatch(/^core:/m);
    expect(readFileSync(join(root, "etc/systemd/system/k3s-install.service"), "utf8")).toContain(
      "WantedBy=multi-user.target",
    );
    expect(readFileSync(join(root, "etc/systemd/system-preset/20-ignition.preset"), "utf8")).toContain(
      "enable k3s-install.service",
    );
  });

  it("p09 k3s agent: executable script and gzip-free contents", () => {
    const { root } = applyIgnition(compileCase("p09-k3s-agent"));
    expect(modeOf(join(root, "opt/wait-for-server.sh"))).toBe(0o755);
    expect(readFileSync(join(root, "opt/wait-for-server.sh"), "utf8")).toContain("until curl -k -s");
    expect(readFileSync(join(root, "etc/systemd/system-preset/20-ignition.preset"), "utf8")).toContain(
      "enable wait-for-server.service",
    );
  });

  it("p05 gzip contents are decompressed by Ignition", () => {
    const { root } = applyIgnition(compileCase("p05-gzip-long-script"));
    expect(readFileSync(join(root, "opt/install-k3s.sh"), "utf8")).toContain('echo "k3s is ready"');
    expect(modeOf(join(root, "opt/install-k3s.sh"))).toBe(0o755);
  });

  it("p12 users and groups are created", () => {
    const { root } = applyIgnition(compileCase("p12-users-groups"));
    expect(readFileSync(join(root, "etc/passwd"), "utf8")).toMatch(
      /^backup:x:1500:1500:Backup Operator:\/var\/home\/backup:\/bin\/bash$/m,
    );
    expect(readFileSync(join(root, "etc/group"), "utf8")).toMatch(/^monitoring:x:/m);
  });

  it("p23 ownership by name and id", () => {
    const { root } = applyIgnition(compileCase("p23-ownership"));
    const file = statSync(join(root, "home/core/.config/app.env"));
    expect(file.mode & 0o7777).toBe(0o640);
    expect(file.gid).toBe(500);
    expect(statSync(join(root, "home/core/.config")).uid).toBe(500);
  });

  for (const name of ["f13w-fcos-typhoon-worker", "f14w-fcos-typhoon-worker"]) {
    it(`${name}: fcos output (Ignition ${name.startsWith("f13") ? "3.2.0" : "3.3.0"}) applied as written`, () => {
      const { root } = applyIgnition(compileCase(name));
      expect(readFileSync(join(root, "etc/kubernetes/kubeconfig"), "utf8")).toContain(
        "server: https://10.0.0.10:6443",
      );
      expect(modeOf(join(root, "etc/kubernetes/kubeconfig"))).toBe(0o600);
      expect(readFileSync(join(root, "etc/hostname"), "utf8")).toBe("worker-0");
      expect(readlinkSync(join(root, "etc/localtime"))).toBe("../usr/share/zoneinfo/UTC");
      expect(readlinkSync(join(root, "etc/systemd/system/docker.service"))).toBe("/dev/null");
      expect(
        readFileSync(join(root, "etc/systemd/system/zincati.service.d/10-update-strategy.conf"), "utf8"),
      ).toContain("ZINCATI_STRATEGY=immediate");
      expect(readFileSync(join(root, "etc/systemd/system-preset/20-ignition.preset"), "utf8")).toContain(
        "enable kubelet.service",
      );
      expect(readFileSync(join(root, "home/core/.ssh/authorized_keys.d/ignition"), "utf8")).toContain(
        "typhoon",
      );
    });
  }

  it("p06 directories and links", () => {
    const { root } = applyIgnition(compileCase("p06-directories-links"));
    expect(modeOf(join(root, "etc/rancher/k3s"))).toBe(0o700);
    expect(statSync(join(root, "opt/bin")).isDirectory()).toBe(true);
  });
});
