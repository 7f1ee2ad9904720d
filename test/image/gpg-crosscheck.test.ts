// Signatures cross-checked with the real GnuPG (Debian package gnupg): what openpgp.js signs,
// gpg verifies; what gpg signs, homelab's streaming verifier accepts — and refuses when tampered.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as openpgp from "openpgp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseSigningKeys, verifyDetachedSignature } from "../../src/image/index.js";
import { describeWithTools, toolPath } from "../support/real-tools.js";
import { makeKey, signDetached, type TestKey, testBytes } from "./fixtures.js";

let home: string;
let key: TestKey;

function gpg(args: string[], input?: string): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(toolPath("gpg"), ["--batch", "--homedir", join(home, "gnupg"), ...args], {
    encoding: "utf8",
    input,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), "homelab-gpg-"));
  mkdirSync(join(home, "gnupg"), { mode: 0o700 });
  key = await makeKey();
});

afterAll(() => {
  if (home) {
    // Stops the gpg-agent the tests started (nothing to stop, or no gpgconf, without gpg).
    spawnSync("gpgconf", ["--homedir", join(home, "gnupg"), "--kill", "all"]);
    rmSync(home, { recursive: true, force: true });
  }
});

describeWithTools(["gpg"], "OpenPGP signatures against real gpg", () => {
  it("gpg --verify accepts openpgp.js's binary detached signature, and rejects a tampered file", async () => {
    const data = testBytes(256 * 1024, 3);
    const file = join(home, "image.img");
    writeFileSync(file, data);
    writeFileSync(`${file}.sig`, await signDetached(data, key));
    expect(gpg(["--import"], key.armoredPublicKey).status).toBe(0);
    const good = gpg(["--verify", `${file}.sig`, file]);
    expect(good.status, good.stderr).toBe(0);
    expect(good.stderr).toMatch(/Good signature/);
    data[100] = (data[100] ?? 0) ^ 1;
    writeFileSync(file, data);
    const bad = gpg(["--verify", `${file}.sig`, file]);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/BAD signature/);
  });

  it("homelab's streaming verifier accepts gpg's signature and refuses it for other bytes", async () => {
    const created = gpg([
      "--passphrase",
      "",
      "--quick-gen-key",
      "Flatcar-like Signer <s@example.org>",
      "ed25519",
      "sign",
      "never",
    ]);
    expect(created.status, created.stderr).toBe(0);
    const armored = gpg(["--armor", "--export", "s@example.org"]).stdout;
    const data = testBytes(1024 * 1024 + 17, 5);
    const file = join(home, "gpg-signed.img");
    writeFileSync(file, data);
    const signed = gpg(["--yes", "--detach-sign", "--digest-algo", "SHA256", "-o", `${file}.sig`, file]);
    expect(signed.status, signed.stderr).toBe(0);
    const keys = await parseSigningKeys(armored);
    const verified = await verifyDetachedSignature({
      file,
      signature: readFileSync(`${file}.sig`),
      keys,
      date: new Date(Date.now() + 60_000),
    });
    expect(verified.bytes).toBe(data.length);
    expect(verified.primaryKeyFingerprint).toBe(keys[0]?.getFingerprint().toUpperCase());
    expect(verified.sha512).toBe(execFileSync("sha512sum", [file], { encoding: "utf8" }).split(" ")[0]);

    data[data.length - 1] = (data[data.length - 1] ?? 0) ^ 1;
    writeFileSync(file, data);
    await expect(
      verifyDetachedSignature({
        file,
        signature: readFileSync(`${file}.sig`),
        keys,
        date: new Date(Date.now() + 60_000),
      }),
    ).rejects.toMatchObject({ code: "image-signature-invalid" });
  });
});

describe("signing subkeys that expire (Flatcar rotates one a year)", () => {
  it("accepts a signature made while the subkey was valid, after the subkey expired", async () => {
    const created = new Date("2024-01-01T00:00:00Z");
    const { privateKey, publicKey } = await openpgp.generateKey({
      type: "rsa",
      rsaBits: 2048,
      userIDs: [{ name: "Rotating Signer" }],
      date: created,
      subkeys: [{ sign: true, keyExpirationTime: 365 * 24 * 3600 }],
      format: "object",
    });
    const data = testBytes(4096, 9);
    const file = join(home, "old-release.img");
    writeFileSync(file, data);
    const signature = await openpgp.sign({
      message: await openpgp.createMessage({ binary: data }),
      signingKeys: privateKey,
      detached: true,
      format: "binary",
      date: new Date("2024-06-01T00:00:00Z"),
    });
    const verified = await verifyDetachedSignature({
      file,
      signature,
      keys: [publicKey],
      date: new Date("2026-11-01T00:00:00Z"), // the subkey expired on 2024-12-31
    });
    expect(verified.signingKeyFingerprint).toBe(publicKey.subkeys[0]?.getFingerprint().toUpperCase());
    expect(verified.signedAt?.toISOString()).toBe("2024-06-01T00:00:00.000Z");
  });

  it("loads the shipped Flatcar key: primary F88CFEDE…B34A, signing subkey valid in 2026", async () => {
    const { readShippedSigningKey, FLATCAR_SIGNING_KEY_FINGERPRINT } = await import(
      "../../src/image/index.js"
    );
    const [flatcar] = await parseSigningKeys(await readShippedSigningKey());
    expect(flatcar?.getFingerprint().toUpperCase()).toBe(FLATCAR_SIGNING_KEY_FINGERPRINT);
    const signing = await flatcar?.getSigningKey(undefined, new Date("2026-06-01T00:00:00Z"));
    expect(signing?.getFingerprint().toUpperCase()).toBe("52F145DFD00BBDCD928CBB5A32DA80F91EF52974");
  });
});
