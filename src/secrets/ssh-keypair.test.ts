import { spawnSync } from "node:child_process";
import { createPrivateKey, createPublicKey, randomBytes } from "node:crypto";
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { toolPath, withTools } from "../../test/support/real-tools.js";
import { HomelabError } from "../errors/index.js";
import {
  encodeOpenSshPrivateKey,
  encodeOpenSshPublicKey,
  ensureSshKeyPair,
  generateSshKeyPair,
  publicKeyFromOpenSshPrivateKey,
} from "./ssh-keypair.js";

/** The real OpenSSH ssh-keygen (Debian package openssh-client) must read what we write. */
const openssh = withTools(["ssh-keygen"]);

function sshKeygen(args: string[]): { status: number; stdout: string; stderr: string } {
  const result = spawnSync(toolPath("ssh-keygen"), args, { encoding: "utf8" });
  return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

function scratch(): string {
  return mkdtempSync(join(tmpdir(), "homelab-ssh-"));
}

describe("generateSshKeyPair", () => {
  openssh.it("writes the formats OpenSSH uses: ssh-keygen -y derives the same public line", () => {
    for (let i = 0; i < 5; i++) {
      const pair = generateSshKeyPair("homelab@development");
      expect(pair.publicKey).toMatch(
        /^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI[A-Za-z0-9+/]{43} homelab@development\n$/,
      );
      expect(pair.privateKey.startsWith("-----BEGIN OPENSSH PRIVATE KEY-----\n")).toBe(true);
      const file = join(scratch(), "id_ed25519");
      writeFileSync(file, pair.privateKey, { mode: 0o600 });
      const derived = sshKeygen(["-y", "-f", file]);
      expect(derived.stderr).toBe("");
      expect(derived.status).toBe(0);
      expect(derived.stdout).toBe(pair.publicKey);
    }
  });

  openssh.it("is unencrypted and carries the comment (ssh-keygen -l)", () => {
    const pair = generateSshKeyPair("homelab@staging");
    const file = join(scratch(), "id_ed25519");
    writeFileSync(file, pair.privateKey, { mode: 0o600 });
    // -P "" would fail on an encrypted key; -l prints bits, fingerprint, comment and type.
    const listed = sshKeygen(["-l", "-f", file]);
    expect(listed.status).toBe(0);
    expect(listed.stdout).toMatch(/^256 SHA256:\S+ homelab@staging \(ED25519\)\n$/);
    expect(sshKeygen(["-y", "-P", "", "-f", file]).status).toBe(0);
  });

  it("makes a new key every time", () => {
    expect(generateSshKeyPair("a").publicKey).not.toBe(generateSshKeyPair("a").publicKey);
  });

  it("recovers the public line from the private key", () => {
    const pair = generateSshKeyPair("homelab@x");
    expect(publicKeyFromOpenSshPrivateKey(pair.privateKey)).toBe(pair.publicKey);
    expect(publicKeyFromOpenSshPrivateKey("not a key")).toBeUndefined();
  });

  it("refuses a comment that would add a line to authorized_keys", () => {
    expect(() => generateSshKeyPair("evil\nssh-ed25519 AAAA other")).toThrow(HomelabError);
  });
});

describe("ensureSshKeyPair", () => {
  openssh.it("generates once with 0600 files in a 0700 directory, then reuses the pair", async () => {
    const dir = join(scratch(), "state", "ssh");
    const paths = {
      privateKeyPath: join(dir, "id_ed25519"),
      publicKeyPath: join(dir, "id_ed25519.pub"),
      comment: "homelab@dev",
    };
    const first = await ensureSshKeyPair(paths);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(paths.privateKeyPath).mode & 0o777).toBe(0o600);
    expect(statSync(paths.publicKeyPath).mode & 0o777).toBe(0o600);
    expect(readFileSync(paths.publicKeyPath, "utf8")).toBe(first.publicKey);
    const second = await ensureSshKeyPair(paths);
    expect(second).toEqual(first);
    expect(sshKeygen(["-y", "-f", paths.privateKeyPath]).stdout).toBe(first.publicKey);
  });

  it("restores a missing public key file from the private key", async () => {
    const dir = scratch();
    const paths = {
      privateKeyPath: join(dir, "k"),
      publicKeyPath: join(dir, "k.pub"),
      comment: "homelab@dev",
    };
    const first = await ensureSshKeyPair(paths);
    rmSync(paths.publicKeyPath);
    expect((await ensureSshKeyPair(paths)).publicKey).toBe(first.publicKey);
    expect(readFileSync(paths.publicKeyPath, "utf8")).toBe(first.publicKey);
  });

  it("refuses a private key others can read, with secret-unsafe-permissions", async () => {
    const dir = scratch();
    const paths = { privateKeyPath: join(dir, "k"), publicKeyPath: join(dir, "k.pub"), comment: "c" };
    await ensureSshKeyPair(paths);
    chmodSync(paths.privateKeyPath, 0o644);
    await expect(ensureSshKeyPair(paths)).rejects.toMatchObject({ code: "secret-unsafe-permissions" });
  });

  it("refuses a damaged private key with secret-invalid", async () => {
    const dir = scratch();
    const paths = { privateKeyPath: join(dir, "k"), publicKeyPath: join(dir, "k.pub"), comment: "c" };
    writeFileSync(paths.privateKeyPath, "garbage\n", { mode: 0o600 });
    await expect(ensureSshKeyPair(paths)).rejects.toMatchObject({ code: "secret-invalid" });
  });
});

describe("ensureSshKeyPair checks the pair and creates it once", () => {
  const pairPaths = () => {
    const dir = join(scratch(), "ssh");
    return {
      privateKeyPath: join(dir, "id_ed25519"),
      publicKeyPath: join(dir, "id_ed25519.pub"),
      comment: "homelab@dev",
    };
  };

  openssh.it(
    "ten concurrent first calls all return the one stored pair, and it is a real pair (ssh-keygen -y)",
    async () => {
      const paths = pairPaths();
      const pairs = await Promise.all(Array.from({ length: 10 }, () => ensureSshKeyPair(paths)));
      const stored = {
        privateKey: readFileSync(paths.privateKeyPath, "utf8"),
        publicKey: readFileSync(paths.publicKeyPath, "utf8"),
      };
      for (const pair of pairs) expect(pair).toEqual(stored);
      expect(sshKeygen(["-y", "-f", paths.privateKeyPath]).stdout).toBe(stored.publicKey);
    },
  );

  it("refuses a truncated private key although its .pub is there (secret-invalid)", async () => {
    const paths = pairPaths();
    const pair = await ensureSshKeyPair(paths);
    const lines = pair.privateKey.split("\n");
    // Cut one base64 line out of the middle: still PEM-shaped, the public blob still readable.
    writeFileSync(paths.privateKeyPath, [...lines.slice(0, 3), ...lines.slice(4)].join("\n"), {
      mode: 0o600,
    });
    await expect(ensureSshKeyPair(paths)).rejects.toMatchObject({ code: "secret-invalid" });
    writeFileSync(paths.privateKeyPath, pair.privateKey.slice(0, 200), { mode: 0o600 });
    await expect(ensureSshKeyPair(paths)).rejects.toMatchObject({ code: "secret-invalid" });
  });

  it("refuses a private key swapped for another valid one while the old .pub stays (not a pair)", async () => {
    const paths = pairPaths();
    await ensureSshKeyPair(paths);
    writeFileSync(paths.privateKeyPath, generateSshKeyPair("homelab@dev").privateKey, { mode: 0o600 });
    const failure = (await ensureSshKeyPair(paths).catch((e: unknown) => e)) as HomelabError;
    expect(failure.code).toBe("secret-invalid");
    expect(failure.message).toContain("are not a key pair");
    expect(failure.where?.file).toBe(paths.privateKeyPath);
  });

  it("refuses a private key whose stated public key is not the one its seed gives", async () => {
    const paths = pairPaths();
    await ensureSshKeyPair(paths);
    // Two independent keys, their halves taken apart (node:crypto computes each public key).
    const raw = () => {
      const d = randomBytes(32);
      const pkcs8 = Buffer.concat([Buffer.from("302e020100300506032b657004220420", "hex"), d]);
      const privateKey = createPrivateKey({ key: pkcs8, format: "der", type: "pkcs8" });
      const x = createPublicKey(privateKey).export({ format: "der", type: "spki" }).subarray(12);
      return { x, d };
    };
    const [one, two] = [raw(), raw()];
    // Every public field says key one; the seed is key two's. Well-formed, but not one key.
    writeFileSync(paths.privateKeyPath, encodeOpenSshPrivateKey(two.d, one.x, "homelab@dev", 7), {
      mode: 0o600,
    });
    writeFileSync(paths.publicKeyPath, encodeOpenSshPublicKey(one.x, "homelab@dev"), { mode: 0o600 });
    await expect(ensureSshKeyPair(paths)).rejects.toMatchObject({ code: "secret-invalid" });
    // The same container with matching halves is accepted.
    writeFileSync(paths.privateKeyPath, encodeOpenSshPrivateKey(one.d, one.x, "homelab@dev", 7), {
      mode: 0o600,
    });
    await expect(ensureSshKeyPair(paths)).resolves.toMatchObject({
      publicKey: encodeOpenSshPublicKey(one.x, "homelab@dev"),
    });
  });

  openssh.it("writes a fresh .pub when the private key is new and an old .pub was left behind", async () => {
    const paths = pairPaths();
    await ensureSshKeyPair(paths);
    rmSync(paths.privateKeyPath);
    const fresh = await ensureSshKeyPair(paths);
    expect(sshKeygen(["-y", "-f", paths.privateKeyPath]).stdout).toBe(fresh.publicKey);
    expect(readFileSync(paths.publicKeyPath, "utf8")).toBe(fresh.publicKey);
  });

  it.each(["0777", "0775", "0720"])("refuses an ssh directory with mode %s", async (octal) => {
    const mode = Number.parseInt(octal, 8);
    const paths = pairPaths();
    await ensureSshKeyPair(paths);
    chmodSync(join(paths.privateKeyPath, ".."), mode);
    await expect(ensureSshKeyPair(paths)).rejects.toMatchObject({ code: "secret-unsafe-permissions" });
  });
});
