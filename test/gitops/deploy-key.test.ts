import { chmodSync, mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { HomelabError } from "../../src/errors/index.js";
import { ensureDeployKey } from "../../src/gitops/index.js";
import { generateSshKeyPair } from "../../src/secrets/index.js";
import { stateLayout } from "../../src/state/layout.js";
import { withTools } from "../support/real-tools.js";
import { repositoryRoot } from "./kustomize.js";
import { sshKeygen } from "./ssh-tools.js";

function freshLayout() {
  return stateLayout(join(mkdtempSync(join(tmpdir(), "gitops-state-")), "development"));
}

const openssh = withTools(["ssh-keygen"]);

describe("ensureDeployKey", () => {
  openssh.it("generates an Ed25519 key once, 0600 in a 0700 directory, that OpenSSH reads", async () => {
    const layout = freshLayout();
    const pair = await ensureDeployKey(layout, "development");
    for (const file of [layout.deployPrivateKey, layout.deployPublicKey])
      expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(layout.dir, "gitops")).mode & 0o777).toBe(0o700);
    const derived = sshKeygen(["-y", "-f", layout.deployPrivateKey]);
    expect(derived.status, derived.stderr).toBe(0);
    expect(pair.publicKey.startsWith(`${derived.stdout.trim().split(" ").slice(0, 2).join(" ")} `)).toBe(
      true,
    );
    expect(pair.publicKey.trim().endsWith("flux-development@homelab")).toBe(true);
    expect(await ensureDeployKey(layout, "development")).toEqual(pair);
  });

  it("refuses a key file others can read", async () => {
    const layout = freshLayout();
    await ensureDeployKey(layout, "development");
    chmodSync(layout.deployPrivateKey, 0o644);
    const error = await ensureDeployKey(layout, "development").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HomelabError);
    expect((error as HomelabError).code).toBe("secret-unsafe-permissions");
  });
});

describe("the repository holds no private key", () => {
  const SKIP = new Set(["node_modules", ".git", "dist", ".homelab", "coverage"]);
  const KEY_BLOCK = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----\s*\n\s*[A-Za-z0-9+/=]{40,}/;

  function walk(dir: string, found: string[] = []): string[] {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (SKIP.has(entry.name)) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path, found);
      else if (entry.isFile() && statSync(path).size < 8 * 1024 * 1024) found.push(path);
    }
    return found;
  }

  it("recognises a real key block (so the scan below can fail)", () => {
    expect(KEY_BLOCK.test(generateSshKeyPair("scan-check").privateKey)).toBe(true);
  });

  it("has no PEM or OpenSSH private key block in any file", () => {
    const offenders = walk(repositoryRoot).filter((file) => KEY_BLOCK.test(readFileSync(file, "latin1")));
    expect(offenders.map((file) => relative(repositoryRoot, file))).toEqual([]);
  });
});
