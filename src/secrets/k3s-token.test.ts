import {
  chmodSync,
  chownSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { HomelabError } from "../errors/index.js";
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

describe("ensureK3sToken, concurrently and guarded", () => {
  it("ten concurrent first calls all return the one token that is stored", async () => {
    const paths = layout();
    const tokens = await Promise.all(Array.from({ length: 10 }, () => ensureK3sToken(paths.k3sToken)));
    const stored = readFileSync(paths.k3sToken, "utf8").trim();
    expect(new Set(tokens)).toEqual(new Set([stored]));
    expect(readdirSync(paths.dir)).toEqual(["k3s-token"]); // no temporary files left
  });

  it("asks onMissing before creating, and creates nothing when it refuses", async () => {
    const paths = layout();
    const refusal = new HomelabError("secret-missing", "refused");
    const asked: string[] = [];
    const onMissing = (path: string, what: string) => {
      asked.push(`${what} ${path}`);
      throw refusal;
    };
    await expect(ensureK3sToken(paths.k3sToken, { onMissing })).rejects.toBe(refusal);
    expect(asked).toEqual([`k3s token ${paths.k3sToken}`]);
    expect(existsSync(paths.k3sToken)).toBe(false);
    const token = await ensureK3sToken(paths.k3sToken);
    expect(await ensureK3sToken(paths.k3sToken, { onMissing })).toBe(token); // only asked when missing
  });

  it.each(["0777", "0770", "0707", "0722", "0730"])(
    "refuses a state directory with mode %s (secret-unsafe-permissions)",
    async (octal) => {
      const mode = Number.parseInt(octal, 8);
      const paths = layout();
      await ensureK3sToken(paths.k3sToken);
      chmodSync(paths.dir, mode);
      await expect(ensureK3sToken(paths.k3sToken)).rejects.toMatchObject({
        code: "secret-unsafe-permissions",
        where: { file: paths.dir },
      });
    },
  );

  it.each(["0755", "0750", "0711"])(
    "accepts a state directory with mode %s (readable is no leak: the files are 0600)",
    async (octal) => {
      const paths = layout();
      const token = await ensureK3sToken(paths.k3sToken);
      chmodSync(paths.dir, Number.parseInt(octal, 8));
      expect(await ensureK3sToken(paths.k3sToken)).toBe(token);
    },
  );

  it("refuses a state directory owned by another user", async () => {
    if (process.getuid?.() !== 0)
      throw new Error("this test chowns a directory and must run as root (as CI does)");
    const paths = layout();
    await ensureK3sToken(paths.k3sToken);
    chownSync(paths.dir, 4242, 4242);
    const failure = (await ensureK3sToken(paths.k3sToken).catch((e: unknown) => e)) as HomelabError;
    expect(failure).toMatchObject({ code: "secret-unsafe-permissions", where: { file: paths.dir } });
    expect(failure.message).toContain("belongs to uid 4242");
  });
});
