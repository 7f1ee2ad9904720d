/**
 * homelab's ssh invocation against real OpenSSH: the options as `ssh -G` resolves them, and a
 * real sshd on 127.0.0.1 for trust-on-first-use, a changed host key, and forgetting it.
 */
import { execFileSync } from "node:child_process";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { HomelabError } from "../../src/errors/index.js";
import { generateSshKeyPair } from "../../src/secrets/index.js";
import {
  forgetHostKeys,
  knownHostsName,
  recordedHostKeys,
  runSshCommand,
  type SshTarget,
  sshArguments,
} from "../../src/ssh/index.js";
import { describeWithTools, SSHD_TOOLS, toolPath } from "../support/real-tools.js";
import { startSshd, type TestSshd } from "./sshd.js";

describeWithTools(["ssh"], "ssh options (resolved by the real `ssh -G`)", () => {
  it("uses homelab's key and known_hosts, trusts on first use, never disables checking", async () => {
    const state = await mkdtemp(join(tmpdir(), "homelab-ssh-g-"));
    const identityFile = join(state, "id_ed25519");
    await writeFile(identityFile, generateSshKeyPair("homelab@test").privateKey, { mode: 0o600 });
    const target: SshTarget = {
      host: "192.168.140.10",
      identityFile,
      knownHostsFile: "/state/ssh/known_hosts",
    };
    const args = sshArguments(target, [], { batch: true });
    const resolved = execFileSync(toolPath("ssh"), ["-G", ...args], { encoding: "utf8" });
    const setting = (name: string) => resolved.match(new RegExp(`^${name} (.*)$`, "m"))?.[1];
    expect(setting("user")).toBe("core");
    expect(setting("hostname")).toBe("192.168.140.10");
    expect(setting("port")).toBe("22");
    expect(setting("stricthostkeychecking")).toBe("accept-new");
    expect(setting("userknownhostsfile")).toBe("/state/ssh/known_hosts");
    expect(setting("globalknownhostsfile")).toBe("/dev/null");
    expect(setting("identitiesonly")).toBe("yes");
    expect(resolved.match(/^identityfile .*$/gm)).toContain(`identityfile ${identityFile}`);
    expect(setting("batchmode")).toBe("yes");
  });
});

describeWithTools(SSHD_TOOLS, "ssh to a real sshd", () => {
  let sshd: TestSshd;
  let target: SshTarget;
  beforeAll(async () => {
    sshd = await startSshd();
    const state = await mkdtemp(join(tmpdir(), "homelab-ssh-state-"));
    target = {
      host: "127.0.0.1",
      port: sshd.port,
      user: sshd.user,
      identityFile: sshd.identityFile,
      knownHostsFile: join(state, "ssh", "known_hosts"),
    };
  });
  afterAll(async () => {
    await sshd?.stop();
  });

  it("records the host key on first use and runs the command", async () => {
    const result = await runSshCommand(target, ["echo", "hello from", "$((6*7))"]);
    expect(result).toMatchObject({ exitCode: 0, stdout: "hello from 42\n" });
    expect(
      await recordedHostKeys(target.knownHostsFile, knownHostsName("127.0.0.1", sshd.port)),
    ).toHaveLength(1);
  });

  it("returns a remote command's own exit status", async () => {
    expect((await runSshCommand(target, ["exit", "3"])).exitCode).toBe(3);
  });

  it("refuses a changed host key with ssh-host-key-mismatch, and works again once it is forgotten", async () => {
    await sshd.rotateHostKey();
    const failure = (await runSshCommand(target, ["true"], { nodeName: "k3s-dev-agent-1" }).catch(
      (e: unknown) => e,
    )) as HomelabError;
    expect(failure.code).toBe("ssh-host-key-mismatch");
    expect(failure.message).toContain("k3s-dev-agent-1 (127.0.0.1)");
    expect(failure.fix).toContain("homelab replace k3s-dev-agent-1");
    expect(failure.fix).toContain(`ssh-keygen -R 127.0.0.1 -f ${target.knownHostsFile}`);
    expect(await forgetHostKeys(target.knownHostsFile, [knownHostsName("127.0.0.1", sshd.port)])).toBe(1);
    expect((await runSshCommand(target, ["true"])).exitCode).toBe(0);
  });

  it("reports a node that does not answer as ssh's own failure (255), not as a key problem", async () => {
    const result = await runSshCommand({ ...target, port: 1 }, ["true"], { connectTimeoutSeconds: 2 });
    expect(result.exitCode).toBe(255);
    expect(result.stderr).toMatch(/refused|connect/i);
  });
});
