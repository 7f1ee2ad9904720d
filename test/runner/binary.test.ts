import { chmod, mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { HomelabError } from "../../src/errors/index.js";
import { resolveTofuOverride } from "../../src/runner/binary.js";

async function bin(dir: string, name: string, executable = true): Promise<string> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, name);
  await writeFile(path, "#!/bin/sh\n");
  await chmod(path, executable ? 0o755 : 0o644);
  return path;
}

describe("resolveTofuOverride (--tofu / HOMELAB_TOFU)", () => {
  it("takes a path relative to cwd, or a bare name searched in PATH order", async () => {
    const root = await mkdtemp(join(tmpdir(), "homelab-bin-"));
    const custom = await bin(join(root, "tools"), "terraform-1.11");
    await bin(join(root, "first"), "tofu-1.9", false); // not executable: skipped
    const later = await bin(join(root, "second"), "tofu-1.9");
    expect(await resolveTofuOverride("tools/terraform-1.11", "", root)).toEqual({
      path: custom,
      flavor: "terraform",
      source: "override",
    });
    expect(
      await resolveTofuOverride("tofu-1.9", `${join(root, "first")}:${join(root, "second")}`, "/"),
    ).toEqual({
      path: later,
      flavor: "tofu",
      source: "override",
    });
  });

  it("names a missing or non-executable override", async () => {
    const root = await mkdtemp(join(tmpdir(), "homelab-bin-"));
    await bin(root, "tofu", false);
    for (const override of ["/nope/tofu", join(root, "tofu"), "not-on-path"]) {
      const failure = (await resolveTofuOverride(override, root, root).catch(
        (e: unknown) => e,
      )) as HomelabError;
      expect(failure.code).toBe("tofu-not-found");
      expect(failure.message).toContain(override);
    }
  });
});
