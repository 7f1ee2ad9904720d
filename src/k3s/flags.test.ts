import { describe, expect, it } from "vitest";
import { checkK3sConfig, isServerOnlyKey, K3S_FLAGS_SOURCE_VERSION, k3sFlagFor } from "./flags.js";
import { HOMELAB_MANAGED_K3S_KEYS, managedKeyField } from "./node-config.js";

describe("checkK3sConfig (flags of k3s v1.34.10+k3s1)", () => {
  it("uses the flag list of the release it was copied from", () => {
    expect(K3S_FLAGS_SOURCE_VERSION).toBe("v1.34.10+k3s1");
  });

  it.each([
    [
      "server",
      { "cluster-init": true, "tls-san": ["a", "b"], disable: ["traefik"], "write-kubeconfig-mode": "0600" },
    ],
    ["server", { "kube-apiserver-arg": ["a=b"], "secrets-encryption": true, "etcd-snapshot-retention": 5 }],
    ["server", { "node-label+": ["x=y"], t: "token-by-alias", i: "10.0.0.1" }],
    [
      "agent",
      {
        server: "https://10.0.0.10:6443",
        token: "t",
        "node-ip": "10.0.0.20",
        "kubelet-arg": ["max-pods=150"],
      },
    ],
    ["agent", { "disable-apiserver-lb": true, "node-taint": ["a=b:NoSchedule"] }],
  ] as const)("accepts a valid %s config %#", (role, config) => {
    expect(checkK3sConfig(role, config)).toEqual([]);
  });

  it.each([
    ["agent", { "tls-san": ["x"] }, /server-only .* refuses to start/],
    ["agent", { "cluster-init": true }, /server-only/],
    ["agent", { disable: ["traefik"] }, /server-only/],
    ["server", { "no-such-flag": 1 }, /not a k3s server option/],
    ["server", { "disable-apiserver-lb": true }, /not a k3s server option/],
    ["server", { "cluster-init": "yes" }, /expects true or false/],
    ["server", { "etcd-snapshot-retention": "five" }, /expects an integer/],
    ["server", { "flannel-backend": ["vxlan", "host-gw"] }, /cannot be repeated/],
    ["agent", { "node-name": ["a", "b"] }, /cannot be repeated/],
    // Names of Object.prototype's members are not flags.
    ["server", { constructor: 1 }, /not a k3s server option/],
    ["agent", { toString: "x" }, /not a k3s agent option/],
    ["server", { hasOwnProperty: true }, /not a k3s server option/],
  ] as const)("refuses an invalid %s config %#", (role, config, message) => {
    const problems = checkK3sConfig(role, config);
    expect(problems).toHaveLength(1);
    expect(problems[0]?.message).toMatch(message);
  });

  it("resolves aliases and the append suffix", () => {
    expect(k3sFlagFor("agent", "s")?.name).toBe("server");
    expect(k3sFlagFor("server", "node-label+")?.name).toBe("node-label");
    expect(isServerOnlyKey("tls-san")).toBe(true);
    expect(isServerOnlyKey("node-ip")).toBe(false);
  });

  it("knows a managed key however it is written, and every managed key is a real server flag", () => {
    expect(managedKeyField("agent", "t")).toBe(HOMELAB_MANAGED_K3S_KEYS.token);
    expect(managedKeyField("server", "node-label+")).toBeDefined();
    expect(managedKeyField("server", "kubelet-arg")).toBeUndefined();
    for (const key of Object.keys(HOMELAB_MANAGED_K3S_KEYS))
      expect(k3sFlagFor("server", key), key).toBeDefined();
  });
});
