/** known_hosts maintenance with the real ssh-keygen (-F to look up, -R to forget) on temp files. */
import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { generateSshKeyPair } from "../../src/secrets/index.js";
import {
  ensureKnownHostsFile,
  forgetHostKeys,
  knownHostsName,
  recordedHostKeys,
} from "../../src/ssh/index.js";
import { describeWithTools, toolPath } from "../support/real-tools.js";

/** Real Ed25519 host keys (type and blob, as known_hosts holds them). */
const hostKey = () => generateSshKeyPair("host").publicKey.split(" ").slice(0, 2).join(" ");
const KEY_A = hostKey();
const KEY_B = hostKey();

async function knownHosts(lines: readonly string[], hashed = false): Promise<string> {
  const file = join(await mkdtemp(join(tmpdir(), "homelab-kh-")), "known_hosts");
  await writeFile(file, `${lines.join("\n")}\n`, { mode: 0o600 });
  if (hashed) execFileSync(toolPath("ssh-keygen"), ["-H", "-f", file], { stdio: "ignore" });
  return file;
}

describeWithTools(["ssh-keygen"], "known_hosts (real ssh-keygen)", () => {
  const cases = [
    { name: "plain entries", hashed: false },
    { name: "hashed entries (HashKnownHosts yes)", hashed: true },
  ];
  for (const { name, hashed } of cases) {
    it(`forgets one node and keeps the others: ${name}`, async () => {
      const file = await knownHosts(
        [`192.168.140.10 ${KEY_A}`, `192.168.140.20 ${KEY_B}`, `[192.168.140.20]:2222 ${KEY_A}`],
        hashed,
      );
      expect(await recordedHostKeys(file, "192.168.140.20")).toHaveLength(1);
      expect(await forgetHostKeys(file, ["192.168.140.20"])).toBe(1);
      expect(await recordedHostKeys(file, "192.168.140.20")).toEqual([]);
      expect(await recordedHostKeys(file, "192.168.140.10")).toHaveLength(1);
      expect(await recordedHostKeys(file, "[192.168.140.20]:2222")).toHaveLength(1);
      await expect(stat(`${file}.old`)).rejects.toThrow(/ENOENT/);
    });
  }

  it("treats an unknown host or a missing file as nothing to forget", async () => {
    const file = await knownHosts([`192.168.140.10 ${KEY_A}`]);
    expect(await forgetHostKeys(file, ["10.0.0.1"])).toBe(0);
    expect(await readFile(file, "utf8")).toContain("192.168.140.10");
    expect(await forgetHostKeys(join(tmpdir(), "homelab-no-such-dir", "known_hosts"), ["10.0.0.1"])).toBe(0);
  });

  it("creates the file 0600 in a 0700 directory", async () => {
    const dir = join(await mkdtemp(join(tmpdir(), "homelab-kh-")), "ssh");
    await ensureKnownHostsFile(join(dir, "known_hosts"));
    expect((await stat(join(dir, "known_hosts"))).mode & 0o777).toBe(0o600);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
  });
});

describe("known_hosts names", () => {
  it("names hosts off port 22 the way ssh records them", () => {
    expect(knownHostsName("192.168.140.10")).toBe("192.168.140.10");
    expect(knownHostsName("127.0.0.1", 2222)).toBe("[127.0.0.1]:2222");
  });
});
