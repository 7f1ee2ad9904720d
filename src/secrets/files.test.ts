import { chmodSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { assertSecretPermissions, writeSecretFileAtomic } from "./files.js";

describe("writeSecretFileAtomic", () => {
  it("creates parents 0700 and the file 0600, whatever the umask", async () => {
    const previous = process.umask(0);
    try {
      const dir = join(mkdtempSync(join(tmpdir(), "homelab-secret-")), "a", "b");
      await writeSecretFileAtomic(join(dir, "s"), "secret");
      expect(statSync(dir).mode & 0o777).toBe(0o700);
      expect(statSync(join(dir, "s")).mode & 0o777).toBe(0o600);
      expect(readFileSync(join(dir, "s"), "utf8")).toBe("secret");
    } finally {
      process.umask(previous);
    }
  });

  it("replaces an existing file and leaves no temporary files behind", async () => {
    const dir = mkdtempSync(join(tmpdir(), "homelab-secret-"));
    writeFileSync(join(dir, "s"), "old", { mode: 0o644 });
    await writeSecretFileAtomic(join(dir, "s"), "new");
    expect(readFileSync(join(dir, "s"), "utf8")).toBe("new");
    expect(statSync(join(dir, "s")).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(["s"]);
  });

  it("reports an unwritable place as state-dir-unwritable", async () => {
    const dir = mkdtempSync(join(tmpdir(), "homelab-secret-"));
    writeFileSync(join(dir, "file"), "");
    await expect(writeSecretFileAtomic(join(dir, "file", "s"), "x")).rejects.toMatchObject({
      code: "state-dir-unwritable",
    });
  });
});

describe("assertSecretPermissions", () => {
  it.each([
    [0o600, true],
    [0o400, true],
    [0o700, true],
    [0o640, false],
    [0o604, false],
    [0o666, false],
    [0o620, false],
  ])("mode %o allowed: %s", async (mode, allowed) => {
    const file = join(mkdtempSync(join(tmpdir(), "homelab-secret-")), "s");
    writeFileSync(file, "x");
    chmodSync(file, mode);
    const outcome = assertSecretPermissions(file);
    if (allowed) await expect(outcome).resolves.toBeUndefined();
    else await expect(outcome).rejects.toMatchObject({ code: "secret-unsafe-permissions" });
  });
});
