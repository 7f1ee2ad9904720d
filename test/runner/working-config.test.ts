/**
 * What the runner reads from a rendered directory: the backend's state path (must be in the
 * state directory), required providers, and when `init` must run again.
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { renderEnvironment } from "../../src/render/index.js";
import { tofuStatePaths } from "../../src/runner/index.js";
import { assertStateInStateDir, readWorkingConfig } from "../../src/runner/working-config.js";
import { stateLayout } from "../../src/state/layout.js";
import { describeWithTools } from "../support/real-tools.js";
import { testRepo } from "./environment-repo.js";
import { fixtureWorkspace } from "./fixture.js";

describe("the rendered configuration (real render)", () => {
  it("keeps OpenTofu state in the environment's state directory and requires the libvirt provider", async () => {
    const repo = await testRepo("contract", "hl-contract");
    const result = await renderEnvironment({
      environment: "contract",
      cwd: repo.cwd,
      home: repo.env.HOME!,
      stateRoot: repo.env.HOMELAB_STATE_DIR!,
      cacheRoot: repo.env.HOMELAB_CACHE_DIR!,
    });
    const config = await readWorkingConfig(result.outDir);
    expect(config.backendStatePath).toBe(stateLayout(result.stateDir).tofuState);
    expect(() =>
      assertStateInStateDir(config, result.outDir, stateLayout(result.stateDir).tofuState),
    ).not.toThrow();
    expect(config.requiredProviders).toEqual(["dmacvicar/libvirt"]);
  });
});

describeWithTools(["terraform"], "when init must run again (real terraform)", () => {
  it("not after a re-render of the same configuration; yes when the dependency lock changes; a moved backend is refused", async () => {
    const workspace = await fixtureWorkspace();
    await workspace.runner().prepare();
    await workspace.rerender();
    expect(await workspace.runner().needsInit()).toBe(false);

    // A dependency lock selected by an earlier init is put back into each fresh render.
    const paths = tofuStatePaths(workspace.layout);
    await writeFile(paths.dependencyLockCopy, '# provider "registry.opentofu.org/dmacvicar/libvirt" …\n');
    await workspace.rerender();
    expect(await workspace.runner().needsInit()).toBe(true);
    expect(await readFile(join(workspace.workingDir, ".terraform.lock.hcl"), "utf8")).toContain(
      "dmacvicar/libvirt",
    );

    const other = await fixtureWorkspace();
    await other.runner().prepare();
    await other.change((document) => {
      document.terraform.backend.local.path = `${other.layout.tofuState}.moved`;
    });
    const moved = other.runner();
    expect(await moved.needsInit().catch((error: Error) => error.message)).toMatch(
      /keeps OpenTofu state at .*\.moved/,
    );
  });
});
