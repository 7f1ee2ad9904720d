/**
 * Commands that hand the rendered configuration to tofu check the image it names first
 * (src/cli/lifecycle/image.ts, verifiedImageForTofu), with a real render of a scratch
 * environment. A stand-in `tofu` (a shell script that records that it ran and fails) shows
 * whether tofu would have been reached; the real tofu is not needed to see a refusal.
 */
import { existsSync } from "node:fs";
import { chmod, mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import applyCommand from "../../src/cli/commands/apply/index.js";
import planCommand from "../../src/cli/commands/plan/index.js";
import renderCommand from "../../src/cli/commands/render/index.js";
import { eventsOf, runCommand } from "./cli-harness.js";
import { testRepo } from "./environment-repo.js";

async function standInTofu(root: string): Promise<{ path: string; ran: () => boolean }> {
  const path = join(root, "tofu");
  const marker = join(root, "tofu-ran");
  await writeFile(path, `#!/bin/sh\necho "$@" >> '${marker}'\nexit 1\n`);
  await chmod(path, 0o755);
  return { path, ran: () => existsSync(marker) };
}

/** Random bytes where the verified image should be, as a broken copy or a tampered cache leaves. */
async function planted(repo: Awaited<ReturnType<typeof testRepo>>, name: string): Promise<string> {
  const render = await runCommand(renderCommand, [name], repo);
  const result = eventsOf(render, "result")[0] as { flatcarImage?: string; image?: { path?: string } };
  const image = result.flatcarImage ?? result.image?.path;
  if (typeof image !== "string") throw new Error(`render printed no image path: ${JSON.stringify(result)}`);
  await mkdir(dirname(image), { recursive: true });
  await writeFile(image, Buffer.alloc(1024 * 1024, 0x5a));
  return image;
}

describe("plan and apply refuse an unverified image before tofu runs", () => {
  for (const [name, module, argv] of [
    ["plan", planCommand, []],
    ["apply", applyCommand, ["--yes"]],
  ] as const) {
    it(`${name}: 1 MiB of random bytes at the cache path → image-not-verified, tofu never runs`, async () => {
      const repo = await testRepo("imgcheck", "hl-img");
      const tofu = await standInTofu(repo.cwd);
      const image = await planted(repo, "imgcheck");
      const run = await runCommand(module, ["imgcheck", "--tofu", tofu.path, ...argv], repo);
      expect(run.error?.code).toBe("image-not-verified");
      expect(run.error?.where?.file).toBe(image);
      expect(run.error?.fix).toContain("homelab image imgcheck");
      expect(tofu.ran()).toBe(false);
    });
  }

  it("plan: no image in the cache at all → image-not-verified naming `homelab image`", async () => {
    const repo = await testRepo("imgnone", "hl-imn");
    const tofu = await standInTofu(repo.cwd);
    const run = await runCommand(planCommand, ["imgnone", "--tofu", tofu.path], repo);
    expect(run.error?.code).toBe("image-not-verified");
    expect(run.error?.message).toContain("is not in the cache");
    expect(tofu.ran()).toBe(false);
  });
});

describe("render --image of an unsigned image", () => {
  it("warns loudly (UNVERIFIED IMAGE) and still renders", async () => {
    const repo = await testRepo("imgrender", "hl-imr");
    const unsigned = join(repo.cwd, "unsigned.img");
    await writeFile(unsigned, "not really an image");
    const run = await runCommand(renderCommand, ["imgrender", "--image", unsigned], repo);
    expect(run.status).toBe(0);
    const warnings = eventsOf(run, "warning").map((event) => String(event.message));
    expect(
      warnings.some((message) => message.startsWith(`UNVERIFIED IMAGE: ${unsigned} has no signature`)),
    ).toBe(true);
  });

  it("says nothing about a signed one (its .sig beside it)", async () => {
    const repo = await testRepo("imgsigned", "hl-ims");
    const image = join(repo.cwd, "signed.img");
    await writeFile(image, "image");
    await writeFile(`${image}.sig`, "signature");
    const run = await runCommand(renderCommand, ["imgsigned", "--image", image], repo);
    expect(eventsOf(run, "warning").filter((event) => String(event.message).includes("UNVERIFIED"))).toEqual(
      [],
    );
  });
});
