import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { mergeKubeconfig, rewriteKubeconfig } from "../../src/cluster/index.js";
import type { HomelabError } from "../../src/errors/index.js";
import { K3S_YAML } from "./k3s-yaml.js";

const rewrite = {
  server: "https://192.168.140.10:6443",
  name: "homelab-development",
  source: "k3s-dev-server-1:/etc/rancher/k3s/k3s.yaml",
};

describe("rewriteKubeconfig", () => {
  it("renames k3s's `default` entries, points at the first server, keeps the credentials", () => {
    expect(parse(rewriteKubeconfig(K3S_YAML, rewrite))).toEqual({
      apiVersion: "v1",
      kind: "Config",
      clusters: [
        {
          name: "homelab-development",
          cluster: {
            "certificate-authority-data": "dGVzdCBjbHVzdGVyIENB",
            server: "https://192.168.140.10:6443",
          },
        },
      ],
      users: [
        {
          name: "homelab-development",
          user: {
            "client-certificate-data": "dGVzdCBjbGllbnQgY2VydA==",
            "client-key-data": "dGVzdCBjbGllbnQga2V5",
          },
        },
      ],
      contexts: [
        {
          name: "homelab-development",
          context: { cluster: "homelab-development", user: "homelab-development" },
        },
      ],
      "current-context": "homelab-development",
      preferences: {},
    });
  });

  it("is idempotent: rewriting its own output gives the same text", () => {
    const once = rewriteKubeconfig(K3S_YAML, rewrite);
    expect(rewriteKubeconfig(once, rewrite)).toBe(once);
  });

  it("follows current-context when there are several entries", () => {
    const several = K3S_YAML.replace("current-context: default", "current-context: other").replace(
      "contexts:\n",
      "contexts:\n- context:\n    cluster: default\n    user: default\n  name: other\n",
    );
    expect(parse(rewriteKubeconfig(several, rewrite)).contexts).toHaveLength(1);
  });

  const broken: readonly (readonly [string, string, RegExp])[] = [
    ["empty output", "", /not a YAML mapping/],
    ["half-written YAML", "apiVersion: v1\nclusters:\n- cluster:\n    server: [", /not YAML/],
    [
      "no clusters",
      K3S_YAML.replace(/clusters:\n(- cluster:\n.*\n.*\n {2}name: default\n)/, "clusters: []\n"),
      /no clusters/,
    ],
    [
      "a context naming a missing user",
      K3S_YAML.replace("    user: default\n  name: default", "    user: nobody\n  name: default"),
      /names a user that is not there/,
    ],
    ["no server", K3S_YAML.replace("    server: https://127.0.0.1:6443\n", ""), /has no server/],
  ];
  for (const [name, text, message] of broken) {
    it(`rejects ${name} with kubeconfig-fetch-failed`, () => {
      let failure: HomelabError | undefined;
      try {
        rewriteKubeconfig(text, rewrite);
      } catch (error) {
        failure = error as HomelabError;
      }
      expect(failure?.code).toBe("kubeconfig-fetch-failed");
      expect(failure?.message).toMatch(message);
      expect(failure?.where?.file).toBe(rewrite.source);
    });
  }
});

describe("mergeKubeconfig", () => {
  const ours = rewriteKubeconfig(K3S_YAML, rewrite);
  const theirs = `apiVersion: v1
kind: Config
clusters:
- name: work
  cluster: {server: "https://work.example:6443"}
- name: homelab-development
  cluster: {server: "https://10.0.0.1:6443"}
users:
- name: work
  user: {token: abc}
contexts:
- name: work
  context: {cluster: work, user: work}
current-context: work
`;
  const cases: readonly {
    name: string;
    existing: string | undefined;
    clusters: string[];
    current: string;
  }[] = [
    {
      name: "into no file",
      existing: undefined,
      clusters: ["homelab-development"],
      current: "homelab-development",
    },
    {
      name: "into an empty file",
      existing: "",
      clusters: ["homelab-development"],
      current: "homelab-development",
    },
    {
      name: "replacing our old entry, keeping theirs and their current context",
      existing: theirs,
      clusters: ["work", "homelab-development"],
      current: "work",
    },
  ];
  for (const testCase of cases) {
    it(testCase.name, () => {
      const merged = parse(mergeKubeconfig(testCase.existing, ours, "homelab-development"));
      expect(merged.clusters.map((c: { name: string }) => c.name)).toEqual(testCase.clusters);
      expect(merged["current-context"]).toBe(testCase.current);
      const cluster = merged.clusters.find((c: { name: string }) => c.name === "homelab-development");
      expect(cluster.cluster.server).toBe("https://192.168.140.10:6443");
    });
  }
});
