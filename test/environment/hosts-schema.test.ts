// The multi-host fields of the environment schema: additive (every shipped environment parses to
// the same values plus `offline: false`), strict, and located like every other field.
import { describe, expect, it } from "vitest";
import development from "../../environments/development.js";
import production from "../../environments/production.js";
import staging from "../../environments/staging.js";
import { EnvironmentSchema } from "../../src/environment/schema.js";

const base = {
  name: "lab",
  prefix: "lab",
  network: { cidr: "192.168.150.0/24", mode: "bridge", bridge: "br0" },
};

describe("hosts, pins, offline and artifacts in the schema", () => {
  it.each([
    ["development", development],
    ["staging", staging],
    ["production", production],
  ])("%s parses without any of them set", (_name, environment) => {
    const parsed = EnvironmentSchema.parse(environment);
    expect(parsed.offline).toBe(false);
    expect(parsed).not.toHaveProperty("hosts");
    expect(parsed).not.toHaveProperty("artifacts");
    expect(Object.values(parsed.nodes).every((node) => node.host === undefined)).toBe(true);
  });

  it("keeps hosts in the order they are written (the placement order)", () => {
    const parsed = EnvironmentSchema.parse({
      ...base,
      hosts: { zeta: { uri: "qemu:///system" }, alpha: { uri: "qemu+ssh://alpha/system", bridge: "br1" } },
      nodes: { "lab-server-1": { host: "alpha" } },
      offline: true,
      artifacts: { airgapImages: false },
    });
    expect(Object.keys(parsed.hosts ?? {})).toEqual(["zeta", "alpha"]);
    expect(parsed.hosts?.alpha).toEqual({ uri: "qemu+ssh://alpha/system", bridge: "br1" });
    expect(parsed.nodes["lab-server-1"]?.host).toBe("alpha");
    expect(parsed.artifacts).toEqual({ airgapImages: false });
  });

  it.each([
    ["a host name that is not a DNS label", { hosts: { HV1: { uri: "qemu:///system" } } }, ["hosts", "HV1"]],
    ["a host without a URI", { hosts: { hv1: {} } }, ["hosts", "hv1", "uri"]],
    ["a URI that is not one", { hosts: { hv1: { uri: "hv1.home.arpa" } } }, ["hosts", "hv1", "uri"]],
    ["an unknown host key", { hosts: { hv1: { uri: "qemu:///system", memory: 4 } } }, ["hosts", "hv1"]],
    [
      "a bad host bridge",
      { hosts: { hv1: { uri: "qemu:///system", bridge: "a bridge" } } },
      ["hosts", "hv1", "bridge"],
    ],
    [
      "a host pool field that does not exist",
      { hosts: { hv1: { uri: "qemu:///system", pool: { size: 1 } } } },
      ["hosts", "hv1", "pool"],
    ],
    [
      "a pin that is not a DNS label",
      { nodes: { "lab-agent-1": { host: "Hv 1" } } },
      ["nodes", "lab-agent-1", "host"],
    ],
    ["offline that is not a boolean", { offline: "yes" }, ["offline"]],
    ["an unknown artifacts key", { artifacts: { k3s: false } }, ["artifacts"]],
  ])("refuses %s at its field", (_what, input, path) => {
    const result = EnvironmentSchema.safeParse({ ...base, ...input });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.path)).toContainEqual(path);
  });
});
