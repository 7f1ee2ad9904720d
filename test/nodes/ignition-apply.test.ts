import { existsSync, readFileSync, readlinkSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { checkK3sConfig } from "../../src/k3s/index.js";
import type { RenderedNodeConfig } from "../../src/nodes/index.js";
import { applyIgnition, ignitionValidate } from "../support/ignition.js";
import { IGNITION_TOOLS, withTools } from "../support/real-tools.js";
import {
  type ArtifactServer,
  ignitionFileContents,
  REPO_ROOT,
  type RenderedEnvironment,
  renderEnvironment,
  startArtifactServer,
  writeEnvironment,
} from "./fixtures.js";

/**
 * Every node config of the shipped environments (and of hand-written ones) is checked by the
 * real `ignition-validate`, then applied by the real Ignition binary to a scratch root; the
 * assertions read what Ignition wrote. The k3s binary comes from a stand-in server on
 * 127.0.0.1 (no internet here), with the SHA-256 of the bytes it serves.
 */

const validator = withTools(["ignition-validate"]);
const ignition = withTools(IGNITION_TOOLS);
let server: ArtifactServer;
const rendered = new Map<string, RenderedEnvironment>();

const BRIDGE_ENV = `export default {
  name: "lan",
  prefix: "lan",
  network: { mode: "bridge", bridge: "br0", cidr: "192.168.50.0/24", gateway: "192.168.50.254", dns: ["192.168.50.53", "9.9.9.9"], domain: "lan.example" },
  servers: { count: 1, snippets: [{ path: "snippets/motd.bu" }] },
  agents: { count: 1 },
  nodes: { "lan-agent-1": { address: "192.168.50.99", labels: ["disk=ssd"], snippets: ["variant: flatcar\\nversion: 1.0.0\\nstorage:\\n  files:\\n    - path: /etc/agent-snippet\\n      contents:\\n        inline: from the node override\\n"] } },
  ssh: { authorizedKeys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGbAYOHjlzmw0sJ+QnJUT3F1CyF+kt0M3ZBzm3JZAhFM user@laptop"] },
  updates: { strategy: "off" },
  k3s: { serverConfig: { "kube-apiserver-arg": ["audit-log-maxage=7"], "secrets-encryption": true }, agentConfig: { "kubelet-arg": ["max-pods=150"] } },
};
`;
const MOTD_SNIPPET = `variant: flatcar
version: 1.0.0
storage:
  files:
    - path: /etc/motd.d/homelab.conf
      mode: 0644
      contents:
        inline: "welcome: \\"server\\" # not a comment\\n"
`;

beforeAll(async () => {
  server = await startArtifactServer();
  const binary = { url: server.url, sha256: server.sha256 };
  for (const name of ["development", "staging", "production"])
    rendered.set(name, await renderEnvironment(name, binary));
  const minimal = writeEnvironment(
    "minimal.ts",
    'export default { name: "minimal", prefix: "mini", servers: { count: 1 }, agents: { count: 0 }, network: { cidr: "10.77.0.0/24" }, ssh: { authorizedKeys: [] } };\n',
  );
  rendered.set("minimal", await renderEnvironment(minimal, binary));
  const bridge = writeEnvironment("lan.ts", BRIDGE_ENV, { "snippets/motd.bu": MOTD_SNIPPET });
  rendered.set("lan", await renderEnvironment(bridge, binary));
});

afterAll(() => server?.close());

function configOf(environment: string, node: string): RenderedNodeConfig {
  const config = rendered.get(environment)?.configs.find((c) => c.node.name === node);
  if (!config) throw new Error(`no rendered config for ${environment}/${node}`);
  return config;
}

function allConfigs(): [string, RenderedNodeConfig][] {
  return [...rendered.entries()].flatMap(([env, r]) =>
    r.configs.map((c) => [`${env}/${c.node.name}`, c] as [string, RenderedNodeConfig]),
  );
}

const mode = (path: string) => statSync(path).mode & 0o7777;
const text = (root: string, path: string) => readFileSync(join(root, path), "utf8");

describe("rendered node configs against the real ignition-validate", () => {
  it("renders the seed's development nodes", () => {
    expect(rendered.get("development")?.configs.map((c) => c.node.name)).toEqual([
      "k3s-dev-server-1",
      "k3s-dev-agent-1",
      "k3s-dev-agent-2",
    ]);
  });

  validator.it("every node of every environment validates, with Ignition 3.3.0", () => {
    const failures = allConfigs()
      .map(([name, config]) => ({ name, outcome: ignitionValidate(config.ignition) }))
      .filter((r) => !r.outcome.ok);
    expect(failures).toEqual([]);
    for (const [, config] of allConfigs()) expect(JSON.parse(config.ignition).ignition.version).toBe("3.3.0");
  });

  it("asks Ignition to drop Flatcar's console autologin", () => {
    for (const [, config] of allConfigs()) {
      expect(JSON.parse(config.ignition).kernelArguments).toEqual({ shouldNotExist: ["flatcar.autologin"] });
    }
  });

  it("every generated config.yaml key is one k3s accepts for the node's role", () => {
    for (const [name, config] of allConfigs()) {
      const k3sConfig = parse(ignitionFileContents(config.ignition, "/etc/rancher/k3s/config.yaml") ?? "");
      expect(Object.keys(k3sConfig).length, name).toBeGreaterThan(4);
      expect(checkK3sConfig(config.node.role, k3sConfig), name).toEqual([]);
    }
  });

  ignition.it("refuses a download whose SHA-256 does not match (Ignition fails its files stage)", () => {
    const config = configOf("minimal", "mini-server-1").ignition.replace(server.sha256, "0".repeat(64));
    expect(ignitionValidate(config).ok).toBe(true);
    expect(() => applyIgnition(config)).toThrow(/hash|mismatch|verif/i);
  });
});

describe("Flatcar updates on every node of every environment", () => {
  it("update.conf turns locksmithd's reboots off and the unit is masked, everywhere", () => {
    for (const [name, config] of allConfigs()) {
      const channel = rendered.get(name.split("/")[0]!)!.plan.environment.flatcar.channel;
      expect(ignitionFileContents(config.ignition, "/etc/flatcar/update.conf"), name).toBe(
        `GROUP=${channel}\nREBOOT_STRATEGY=off\n`,
      );
      const units = (
        JSON.parse(config.ignition) as { systemd: { units: { name: string; mask?: boolean }[] } }
      ).systemd.units;
      expect(
        units.find((unit) => unit.name === "locksmithd.service"),
        name,
      ).toEqual({
        name: "locksmithd.service",
        mask: true,
      });
    }
  });

  it("every server of an environment carries the same kured HelmChart, no agent does, none with updates off", () => {
    for (const [environment, result] of rendered) {
      const manifests = result.configs.map((config) =>
        ignitionFileContents(config.ignition, "/var/lib/rancher/k3s/server/manifests/homelab-kured.yaml"),
      );
      const servers = manifests.filter((_, i) => result.configs[i]?.node.role === "server");
      const agents = manifests.filter((_, i) => result.configs[i]?.node.role === "agent");
      expect(
        agents.every((manifest) => manifest === undefined),
        environment,
      ).toBe(true);
      if (result.plan.environment.updates.strategy === "off") {
        expect(
          servers.every((manifest) => manifest === undefined),
          environment,
        ).toBe(true);
      } else {
        expect(new Set(servers).size, environment).toBe(1);
        expect(servers[0], environment).toContain("kind: HelmChart");
      }
    }
  });
});

ignition.describe("a first server, applied by the real Ignition", () => {
  let root: string;
  beforeAll(() => {
    root = applyIgnition(configOf("production", "k3s-prod-server-1").ignition).root;
  });

  it("sets the hostname", () => {
    expect(text(root, "etc/hostname")).toBe("k3s-prod-server-1\n");
  });

  it("authorizes homelab's key for core, and nothing lets anyone in by password", () => {
    const keys = text(root, "home/core/.ssh/authorized_keys.d/ignition");
    expect(keys).toContain(rendered.get("production")!.homelabKey);
    const sshd = text(root, "etc/ssh/sshd_config.d/10-homelab.conf");
    for (const line of [
      "PasswordAuthentication no",
      "KbdInteractiveAuthentication no",
      "PermitRootLogin no",
      "AllowUsers core",
    ]) {
      expect(sshd).toContain(line);
    }
    expect(text(root, "etc/shadow")).toMatch(/^core:\*:/m);
  });

  it("installs the verified k3s binary at /opt/bin/k3s, 0755, with kubectl and crictl links", () => {
    const binary = readFileSync(join(root, "opt/bin/k3s"));
    expect(binary.equals(server.bytes)).toBe(true);
    expect(mode(join(root, "opt/bin/k3s"))).toBe(0o755);
    for (const tool of ["kubectl", "crictl", "ctr"])
      expect(readlinkSync(join(root, "opt/bin", tool))).toBe("/opt/bin/k3s");
  });

  it("writes config.yaml (0600) that starts embedded etcd", () => {
    const path = join(root, "etc/rancher/k3s/config.yaml");
    expect(mode(path)).toBe(0o600);
    const config = parse(readFileSync(path, "utf8"));
    const plan = rendered.get("production")!.plan;
    expect(config).toEqual({
      "cluster-init": true,
      token: rendered.get("production")!.inputs.k3sToken,
      "node-name": "k3s-prod-server-1",
      "node-ip": "192.168.142.10",
      // Only the registration address: k3s adds each server's own address and name itself, so
      // adding a server changes no other server's Ignition.
      "tls-san": ["192.168.142.9"],
      disable: ["traefik", "servicelb"],
      "flannel-backend": "host-gw",
      "write-kubeconfig-mode": "0600",
      "cluster-cidr": "10.42.0.0/16",
      "service-cidr": "10.43.0.0/16",
      "node-label": ["node-type=server"],
    });
    expect(checkK3sConfig("server", config)).toEqual([]);
    expect(plan.firstServer.name).toBe("k3s-prod-server-1");
  });

  it("enables k3s and the wait unit through presets; units as k3s's installer writes them", () => {
    const presets = text(root, "etc/systemd/system-preset/20-ignition.preset");
    expect(presets).toContain("enable k3s.service");
    expect(presets).toContain("enable k3s-wait-for-server.service");
    const unit = text(root, "etc/systemd/system/k3s.service");
    for (const line of [
      "Type=notify",
      "KillMode=process",
      "Delegate=yes",
      "Restart=always",
      "LimitNOFILE=1048576",
      "TasksMax=infinity",
      "ExecStartPre=-/sbin/modprobe br_netfilter",
      "ExecStartPre=-/sbin/modprobe overlay",
      "After=network-online.target",
      // Wants, not Requires: a wait that gives up still lets k3s start and retry by itself.
      "Wants=k3s-wait-for-server.service",
      "After=k3s-wait-for-server.service",
      "ExecStart=/opt/bin/k3s server",
    ]) {
      expect(unit).toContain(line);
    }
    expect(unit).not.toContain("Requires=");
    // The wait runs only before the machine's first join, never on a reboot.
    expect(text(root, "etc/systemd/system/k3s-wait-for-server.service")).toContain(
      "ConditionPathExists=!/var/lib/rancher/k3s/server/db/etcd/member/wal",
    );
  });

  it("keeps the node's identity: its password from the state directory, 0600", () => {
    const path = join(root, "etc/rancher/node/password");
    expect(mode(path)).toBe(0o600);
    expect(readFileSync(path, "utf8")).toBe(
      rendered.get("production")!.inputs.nodePasswords.get("k3s-prod-server-1"),
    );
  });

  it("announces the registration address: the kube-vip manifest in k3s's manifests directory, 0600", () => {
    const path = join(root, "var/lib/rancher/k3s/server/manifests/homelab-kube-vip.yaml");
    expect(mode(path)).toBe(0o600);
    const objects = parseAllDocuments(readFileSync(path, "utf8")).map(
      (document) => document.toJS() as { kind: string; spec?: unknown },
    );
    expect(objects.map((object) => object.kind)).toEqual([
      "ServiceAccount",
      "ClusterRole",
      "ClusterRoleBinding",
      "DaemonSet",
    ]);
    const manifest = readFileSync(path, "utf8");
    expect(manifest).toContain("value: 192.168.142.9");
    expect(manifest).toContain("ghcr.io/kube-vip/kube-vip:");
  });

  it("waits for nobody: its join file names no URL", () => {
    expect(text(root, "etc/homelab/k3s-join.env")).toMatch(/^K3S_JOIN_PING_URL=$/m);
    expect(text(root, "opt/bin/k3s-wait-for-server")).toBe(
      readFileSync(join(REPO_ROOT, "butane-configs/k3s-wait-for-server.sh"), "utf8"),
    );
    expect(mode(join(root, "opt/bin/k3s-wait-for-server"))).toBe(0o755);
  });

  it("turns Flatcar's own reboots off: update.conf says off and locksmithd is masked", () => {
    expect(text(root, "etc/flatcar/update.conf")).toBe("GROUP=stable\nREBOOT_STRATEGY=off\n");
    expect(readlinkSync(join(root, "etc/systemd/system/locksmithd.service"))).toBe("/dev/null");
    // update-engine is left alone: it stages updates and marks a new partition good after the reboot.
    expect(existsSync(join(root, "etc/systemd/system/update-engine.service"))).toBe(false);
  });

  it("carries the kured HelmChart with production's window, 0600, in k3s's manifests directory", () => {
    const path = join(root, "var/lib/rancher/k3s/server/manifests/homelab-kured.yaml");
    expect(mode(path)).toBe(0o600);
    const [chart] = parseAllDocuments(readFileSync(path, "utf8")).map(
      (document) => document.toJS() as { kind: string; spec: { valuesContent: string } },
    );
    expect(chart?.kind).toBe("HelmChart");
    expect(parse(chart?.spec.valuesContent ?? "").configuration).toMatchObject({
      concurrency: 1,
      rebootDays: ["sun"],
      startTime: "03:00",
      endTime: "05:59:59",
      timeZone: "UTC",
    });
  });
});

ignition.describe("joining nodes, applied by the real Ignition", () => {
  it("a further server joins through the registration address and waits for its /ping once", () => {
    const { root } = applyIgnition(configOf("production", "k3s-prod-server-2").ignition);
    const config = parse(text(root, "etc/rancher/k3s/config.yaml"));
    expect(config["cluster-init"]).toBeUndefined();
    expect(config.server).toBe("https://192.168.142.9:6443");
    expect(config["node-ip"]).toBe("192.168.142.11");
    expect(config["tls-san"]).toEqual(["192.168.142.9"]);
    expect(text(root, "etc/homelab/k3s-join.env")).toBe(
      "K3S_JOIN_PING_URL=https://192.168.142.9:6443/ping\nWAIT_TIMEOUT=1800\n",
    );
    expect(checkK3sConfig("server", config)).toEqual([]);
    expect(existsSync(join(root, "var/lib/rancher/k3s/server/manifests/homelab-kube-vip.yaml"))).toBe(true);
  });

  it("an agent gets only agent keys, the agent unit and no kubectl", () => {
    const { root } = applyIgnition(configOf("development", "k3s-dev-agent-2").ignition);
    const config = parse(text(root, "etc/rancher/k3s/config.yaml"));
    expect(Object.keys(config)).toEqual(["server", "token", "node-name", "node-ip", "node-label"]);
    expect(config).toMatchObject({
      server: "https://192.168.140.9:6443",
      "node-ip": "192.168.140.21",
      "node-label": ["node-type=agent"],
    });
    expect(text(root, "etc/systemd/system/k3s-wait-for-server.service")).toContain(
      "ConditionPathExists=!/var/lib/rancher/k3s/agent/client-kubelet.crt",
    );
    expect(mode(join(root, "etc/rancher/node/password"))).toBe(0o600);
    expect(existsSync(join(root, "var/lib/rancher/k3s/server/manifests"))).toBe(false);
    expect(checkK3sConfig("agent", config)).toEqual([]);
    const presets = text(root, "etc/systemd/system-preset/20-ignition.preset");
    expect(presets).toContain("enable k3s-agent.service");
    expect(presets).not.toContain("enable k3s.service");
    const unit = text(root, "etc/systemd/system/k3s-agent.service");
    expect(unit).toContain("Type=exec");
    expect(unit).toContain("ExecStart=/opt/bin/k3s agent");
    expect(() => statSync(join(root, "opt/bin/kubectl"))).toThrow();
    expect(readFileSync(join(root, "opt/bin/k3s")).equals(server.bytes)).toBe(true);
    // NAT mode too: the network's DHCP reservations are fixed at creation, so a node added
    // later depends on this file for its address.
    const agent = configOf("development", "k3s-dev-agent-2").node;
    expect(text(root, "etc/systemd/network/00-homelab-static.network")).toBe(
      `[Match]\nMACAddress=${agent.mac}\n\n[Network]\nAddress=192.168.140.21/24\nGateway=192.168.140.1\nDNS=192.168.140.1\nDomains=dev.home.arpa\n`,
    );
  });
});

ignition.describe("a hand-written bridge-mode environment with snippets, applied by Ignition", () => {
  it("gives the node a static address matched by MAC, and merges the pool's snippet", () => {
    const lan = rendered.get("lan")!;
    const server1 = configOf("lan", "lan-server-1");
    const { root } = applyIgnition(server1.ignition);
    expect(text(root, "etc/systemd/network/00-homelab-static.network")).toBe(
      `[Match]\nMACAddress=${server1.node.mac}\n\n[Network]\nAddress=192.168.50.10/24\nGateway=192.168.50.254\nDNS=192.168.50.53\nDNS=9.9.9.9\nDomains=lan.example\n`,
    );
    expect(text(root, "etc/motd.d/homelab.conf")).toBe('welcome: "server" # not a comment\n');
    expect(text(root, "etc/flatcar/update.conf")).toBe("GROUP=stable\nREBOOT_STRATEGY=off\n");
    // updates.strategy "off": no reboots at all, so no kured either.
    expect(existsSync(join(root, "var/lib/rancher/k3s/server/manifests/homelab-kured.yaml"))).toBe(false);
    const config = parse(text(root, "etc/rancher/k3s/config.yaml"));
    expect(config["kube-apiserver-arg"]).toEqual(["audit-log-maxage=7"]);
    expect(config["secrets-encryption"]).toBe(true);
    const keys = text(root, "home/core/.ssh/authorized_keys.d/ignition");
    expect(keys).toContain("user@laptop");
    expect(keys).toContain(lan.homelabKey);
  });

  it("applies a node's override: address, label and its own snippet", () => {
    const { root } = applyIgnition(configOf("lan", "lan-agent-1").ignition);
    const config = parse(text(root, "etc/rancher/k3s/config.yaml"));
    expect(config["node-ip"]).toBe("192.168.50.99");
    expect(config["node-label"]).toEqual(["node-type=agent", "disk=ssd"]);
    expect(config["kubelet-arg"]).toEqual(["max-pods=150"]);
    expect(text(root, "etc/agent-snippet")).toBe("from the node override");
    expect(text(root, "etc/systemd/network/00-homelab-static.network")).toContain("Address=192.168.50.99/24");
    expect(() => statSync(join(root, "etc/motd.d/homelab.conf"))).toThrow();
  });
});
