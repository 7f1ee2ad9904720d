import { chmodSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { stateLayout } from "../state/layout.js";
import { ensureK3sToken, generateK3sToken } from "./k3s-token.js";

function layout() {
  return stateLayout(join(mkdtempSync(join(tmpdir(), "homelab-state-")), "development"));
}

describe("ensureK3sToken", () => {
  it("generates 256 random bits once, stores them 0600 in a 0700 state directory, and reuses them", async () => {
    const paths = layout();
    const token = await ensureK3sToken(paths.k3sToken);
    expect(token).toMatch(/^[0-9a-f]{64}$/);
    expect(statSync(paths.k3sToken).mode & 0o777).toBe(0o600);
    expect(statSync(paths.dir).mode & 0o777).toBe(0o700);
    expect(readFileSync(paths.k3sToken, "utf8")).toBe(`${token}\n`);
    expect(await ensureK3sToken(paths.k3sToken)).toBe(token);
  });

  it("gives every environment its own token", () => {
    const tokens = new Set(Array.from({ length: 50 }, () => generateK3sToken()));
    expect(tokens.size).toBe(50);
  });

  it.each([0o640, 0o604, 0o644, 0o660])(
    "refuses a token file with mode %o (secret-unsafe-permissions)",
    async (mode) => {
      const paths = layout();
      await ensureK3sToken(paths.k3sToken);
      chmodSync(paths.k3sToken, mode);
      await expect(ensureK3sToken(paths.k3sToken)).rejects.toMatchObject({
        code: "secret-unsafe-permissions",
        where: { file: paths.k3sToken },
      });
    },
  );

  it("refuses a token file that was edited into something else (secret-invalid), without echoing it", async () => {
    const paths = layout();
    await ensureK3sToken(paths.k3sToken);
    writeFileSync(paths.k3sToken, "hunter2\n", { mode: 0o600 });
    const error = await ensureK3sToken(paths.k3sToken).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "secret-invalid" });
    expect(JSON.stringify(error)).not.toContain("hunter2");
    expect((error as Error).message).not.toContain("hunter2");
  });
});
