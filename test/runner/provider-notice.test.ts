/**
 * Before `init`, homelab says when the libvirt provider cannot be installed without a registry
 * (real terraform, in the tests' offline CLI configuration: a filesystem mirror only, so init
 * fails at once instead of asking a registry).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import planCommand from "../../src/cli/commands/plan/index.js";
import { offlineTerraformConfig } from "../support/offline-terraform.js";
import { describeWithTools } from "../support/real-tools.js";
import { standInVerifiedImage } from "../support/verified-image.js";
import { eventsOf, runCommand } from "./cli-harness.js";
import { testRepo } from "./environment-repo.js";

describeWithTools(["terraform"], "the provider notice before init (real terraform)", () => {
  it("warns that init cannot install dmacvicar/libvirt offline, before init runs; init then fails in the mirror", async () => {
    const repo = await testRepo("notice", "hl-notice");
    await standInVerifiedImage(repo.env.HOMELAB_CACHE_DIR!);
    const run = await runCommand(planCommand, ["notice"], repo);
    const warning = run.events.findIndex(
      (event) => event.type === "warning" && event.code === "provider-not-cached",
    );
    const firstOutput = run.events.findIndex((event) => event.type === "output");
    expect(warning, JSON.stringify(run.events)).toBeGreaterThanOrEqual(0);
    expect(firstOutput).toBeGreaterThan(warning);
    const message = String(run.events[warning]?.message);
    expect(message).toMatch(
      /^dmacvicar\/libvirt 0\.9\.7 cannot be installed: the provider_installation block of .*offline\.tfrc allows no registry for registry\.(terraform\.io|opentofu\.org)\/dmacvicar\/libvirt and no filesystem mirror holds it/,
    );
    expect(message).toContain("providers mirror -platform=linux_");
    expect(run.status).not.toBe(0);
    expect(eventsOf(run, "error").map((event) => event.code)).toEqual(["tofu-failed"]);
    const output = eventsOf(run, "output")
      .map((event) => String(event.line))
      .join("\n");
    expect(output).toContain(offlineTerraformConfig().mirror); // terraform looked only in the mirror
  });

  it("says nothing when the provider is in the mirror", async () => {
    const repo = await testRepo("quiet", "hl-quiet");
    await standInVerifiedImage(repo.env.HOMELAB_CACHE_DIR!);
    const mirror = join(repo.cwd, "..", "mirror");
    for (const host of ["registry.terraform.io", "registry.opentofu.org"]) {
      const dir = join(mirror, host, "dmacvicar", "libvirt", "0.9.7", "linux_amd64");
      mkdirSync(dir, { recursive: true });
      // A stand-in, not the provider: enough for the check; terraform itself would refuse it.
      writeFileSync(join(dir, "terraform-provider-libvirt_v0.9.7"), "#!/bin/sh\nexit 1\n", { mode: 0o755 });
    }
    const config = join(repo.cwd, "..", "mirror.tfrc");
    writeFileSync(config, `provider_installation {\n  filesystem_mirror { path = "${mirror}" }\n}\n`);
    const run = await runCommand(planCommand, ["quiet"], {
      ...repo,
      env: { ...repo.env, TF_CLI_CONFIG_FILE: config },
    });
    expect(run.events.filter((event) => event.code === "provider-not-cached")).toEqual([]);
  });
});
