import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { compileButane } from "../../src/butane/index.js";
import { applyIgnition, ignitionValidate } from "../support/ignition.js";
import { IGNITION_TOOLS, withTools } from "../support/real-tools.js";
import { loadCases } from "./conformance-cases.js";

const validator = withTools(["ignition-validate"]);
const ignition = withTools(IGNITION_TOOLS);

/** Every 3.3.0 config the compiler produces is valid for the real Ignition (2.14). */
validator.describe("real ignition-validate accepts every generated 3.3.0 config", () => {
  for (const c of loadCases()) {
    const d = c.args.indexOf("-d");
    const result = compileButane(c.source, d >= 0 ? { filesDir: join(c.dir, c.args[d + 1] ?? "") } : {});
    if (!result.ignition || result.ignitionVersion !== "3.3.0") continue;
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

  it("p06 directories and links", () => {
    const { root } = applyIgnition(compileCase("p06-directories-links"));
    expect(modeOf(join(root, "etc/rancher/k3s"))).toBe(0o700);
    expect(statSync(join(root, "opt/bin")).isDirectory()).toBe(true);
  });
});
