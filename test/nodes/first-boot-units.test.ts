import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { parse } from "yaml";
import { createNodeRenderer, type FirstBoot, type RenderedNodeConfig } from "../../src/nodes/index.js";
import { applyIgnition } from "../support/ignition.js";
import { describeWithTools, IGNITION_TOOLS, type RealToolName } from "../support/real-tools.js";
import { conditionHolds, verifyUnits } from "../support/systemd.js";
import {
  type ArtifactServer,
  type RenderedEnvironment,
  renderEnvironment,
  startArtifactServer,
} from "./fixtures.js";

/**
 * Rebuilt machines, applied by the real Ignition to a scratch root: a rebuilt first server
 * (joins through the registration address), a rebuilt agent, a rebuilt single server (restore
 * mode). The tests read back the node's identity file, config.yaml and the units, check every
 * generated unit with systemd's own `systemd-analyze verify` (Debian's systemd), and show that
 * the wait for the registration address is skipped on a root that already has k3s data — the
 * condition evaluated by `systemd-analyze condition` in a private mount namespace where the
 * scratch root's /var/lib is bind-mounted over the host's (`unshare -m`, as root).
 */

const TOOLS: readonly RealToolName[] = ["root", ...IGNITION_TOOLS, "systemd-analyze", "unshare", "mount"];
let server: ArtifactServer;
let production: RenderedEnvironment;
let development: RenderedEnvironment;

function machine(rendered: RenderedEnvironment, node: string, firstBoot: FirstBoot): RenderedNodeConfig {
  const render = createNodeRenderer(rendered.plan, rendered.inputs);
  const plan = rendered.plan.nodes.find((n) => n.name === node);
  if (!plan) throw new Error(`no node ${node}`);
  return render(plan, firstBoot);
}

const text = (root: string, path: string) => readFileSync(join(root, path), "utf8");
const mode = (root: string, path: string) => statSync(join(root, path)).mode & 0o7777;

describeWithTools(TOOLS, "rebuilt machines, applied by the real Ignition", () => {
  beforeAll(async () => {
    server = await startArtifactServer();
    const binary = { url: server.url, sha256: server.sha256 };
    production = await renderEnvironment("production", binary);
    development = await renderEnvironment("development", binary);
  });

  afterAll(() => server?.close());

  it("a rebuilt first server joins through the registration address, keeping its identity", () => {
    const config = machine(production, "k3s-prod-server-1", { kind: "join" });
    const { root } = applyIgnition(config.ignition);
    const k3s = parse(text(root, "etc/rancher/k3s/config.yaml"));
    expect(k3s.server).toBe("https://192.168.142.9:6443");
    expect(k3s["cluster-init"]).toBeUndefined();
    expect(k3s["tls-san"]).toEqual(["192.168.142.9"]);
    expect(mode(root, "etc/rancher/node/password")).toBe(0o600);
    expect(text(root, "etc/rancher/node/password")).toBe(
      production.inputs.nodePasswords.get("k3s-prod-server-1"),
    );
    expect(text(root, "etc/homelab/k3s-join.env")).toContain(
      "K3S_JOIN_PING_URL=https://192.168.142.9:6443/ping",
    );
    // A joining first server carries no Flux bootstrap: the cluster it joins already has Flux.
    expect(config.ignition).not.toContain("homelab-flux");
    expect(verifyUnits(root, ["k3s.service", "k3s-wait-for-server.service"])).toBe("");
  });

  it("a rebuilt agent keeps its identity and waits only before its first join", () => {
    const config = machine(development, "k3s-dev-agent-1", { kind: "join" });
    const { root } = applyIgnition(config.ignition);
    expect(text(root, "etc/rancher/node/password")).toBe(
      development.inputs.nodePasswords.get("k3s-dev-agent-1"),
    );
    expect(verifyUnits(root, ["k3s-agent.service", "k3s-wait-for-server.service"])).toBe("");
    const unit = text(root, "etc/systemd/system/k3s-wait-for-server.service");
    const condition = /^(ConditionPathExists=.*)$/m.exec(unit)?.[1] ?? "";
    expect(condition).toBe("ConditionPathExists=!/var/lib/rancher/k3s/agent/client-kubelet.crt");
    expect(conditionHolds(root, condition)).toBe(true);
    // After the first join (k3s has written the kubelet certificate) no boot waits again.
    mkdirSync(join(root, "var/lib/rancher/k3s/agent"), { recursive: true });
    writeFileSync(join(root, "var/lib/rancher/k3s/agent/client-kubelet.crt"), "");
    expect(conditionHolds(root, condition)).toBe(false);
  });

  it("a server's wait is skipped once etcd has data", () => {
    const config = machine(production, "k3s-prod-server-2", { kind: "join" });
    const { root } = applyIgnition(config.ignition);
    const unit = text(root, "etc/systemd/system/k3s-wait-for-server.service");
    const condition = /^(ConditionPathExists=.*)$/m.exec(unit)?.[1] ?? "";
    expect(conditionHolds(root, condition)).toBe(true);
    mkdirSync(join(root, "var/lib/rancher/k3s/server/db/etcd/member/wal"), { recursive: true });
    expect(conditionHolds(root, condition)).toBe(false);
  });

  it("a rebuilt single server holds k3s back until its snapshot is restored", () => {
    const sha = "c".repeat(64);
    const config = machine(development, "k3s-dev-server-1", { kind: "restore", snapshotSha256: sha });
    const { root } = applyIgnition(config.ignition);
    expect(parse(text(root, "etc/rancher/k3s/config.yaml"))["cluster-init"]).toBe(true);
    expect(text(root, "etc/homelab/k3s-restore.env")).toBe(
      `SNAPSHOT_SHA256=${sha}\nRESTORE_DIR=/var/lib/homelab/restore\n`,
    );
    expect(mode(root, "opt/bin/k3s-restore-snapshot")).toBe(0o755);
    // k3s.service requires the restore (RequiredBy= in the restore unit, enabled by preset).
    expect(text(root, "etc/systemd/system-preset/20-ignition.preset")).toContain(
      "enable homelab-k3s-restore.service",
    );
    expect(text(root, "etc/systemd/system/homelab-k3s-restore.service")).toContain("RequiredBy=k3s.service");
    expect(
      verifyUnits(root, ["k3s.service", "homelab-k3s-restore.service", "k3s-wait-for-server.service"]),
    ).toBe("");
  });
});
