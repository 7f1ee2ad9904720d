/** Fetching the kubeconfig over real SSH (a local sshd standing in for the first server). */
import { mkdtemp, readFile, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { parse } from "yaml";
import {
  fetchKubeconfig,
  kubeconfigPathFor,
  realWaitClock,
  writeKubeconfigFile,
} from "../../src/cluster/index.js";
import type { HomelabError } from "../../src/errors/index.js";
import type { SshTarget } from "../../src/ssh/index.js";
import { startSshd, type TestSshd } from "../ssh/sshd.js";
import { describeWithTools, SSHD_TOOLS } from "../support/real-tools.js";
import { K3S_YAML } from "./k3s-yaml.js";

let sshd: TestSshd;
let target: SshTarget;
let dir: string;
const clock = realWaitClock(() => performance.now());

beforeAll(async () => {
  sshd = await startSshd();
  dir = await mkdtemp(join(tmpdir(), "homelab-fetch-"));
  target = {
    host: "127.0.0.1",
    port: sshd.port,
    user: sshd.user,
    identityFile: sshd.identityFile,
    knownHostsFile: join(dir, "ssh", "known_hosts"),
  };
});
afterAll(async () => {
  await sshd?.stop();
});

describeWithTools(SSHD_TOOLS, "fetchKubeconfig (real ssh, local sshd)", () => {
  it("waits until k3s has written the file, then returns it rewritten; written 0600", async () => {
    const remote = join(dir, "k3s.yaml");
    const updates: string[] = [];
    const fetching = fetchKubeconfig({
      target,
      nodeName: "k3s-dev-server-1",
      server: "https://192.168.140.10:6443",
      contextName: "homelab-development",
      remoteCommand: ["cat", remote],
      timeoutMs: 30_000,
      intervalMs: 100,
      clock,
      onProgress: (text) => {
        updates.push(text);
        if (updates.length === 1) void writeFile(remote, K3S_YAML);
      },
    });
    const text = await fetching;
    expect(updates[0]).toMatch(/^attempt 1, \d+s: ssh \w+@127\.0\.0\.1: .*No such file or directory/);
    expect(parse(text).clusters[0].cluster.server).toBe("https://192.168.140.10:6443");
    const path = kubeconfigPathFor(join(dir, "kube"), "development");
    await writeKubeconfigFile(path, text);
    expect(path.endsWith("kube/homelab-development.yaml")).toBe(true);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await readFile(path, "utf8")).toBe(text);
  });

  it("gives up with kubeconfig-fetch-failed after the timeout", async () => {
    const failure = (await fetchKubeconfig({
      target,
      nodeName: "k3s-dev-server-1",
      server: "https://192.168.140.10:6443",
      contextName: "homelab-development",
      remoteCommand: ["cat", join(dir, "never-written.yaml")],
      timeoutMs: 500,
      intervalMs: 100,
      clock,
    }).catch((e: unknown) => e)) as HomelabError;
    expect(failure.code).toBe("kubeconfig-fetch-failed");
    expect(failure.fix).toContain("homelab ssh k3s-dev-server-1");
  });
});
