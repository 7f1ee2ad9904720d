// `offline: true` means no remote `source` in any node's Ignition. remoteSources() is checked on
// configs rendered by homelab today (k3s and Flux still come from the internet there, which is
// what phase B replaces with the artifact volume), on snippets merged through homelab's Butane
// compiler, and on hand-written Ignition shapes.
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { assertOfflineIgnition, remoteSources } from "../../src/artifacts/index.js";
import { renderEnvironment, writeEnvironment } from "../nodes/fixtures.js";

const K3S = {
  url: "https://github.com/k3s-io/k3s/releases/download/v1.34.10%2Bk3s1/k3s",
  sha256: "a".repeat(64),
};
const SNIPPET = `variant: flatcar
version: 1.0.0
storage:
  files:
    - path: /opt/bin/helm
      contents:
        source: https://get.helm.sh/helm
        verification:
          hash: sha256-${"b".repeat(64)}
    - path: /etc/inline
      contents:
        inline: no network here
`;

describe("remoteSources on rendered node configs", () => {
  it("finds the k3s download in every node of development, and nothing else", async () => {
    const rendered = await renderEnvironment("development", K3S);
    for (const config of rendered.configs) {
      expect(remoteSources(config.ignition)).toEqual([
        { path: expect.stringMatching(/^\$\.storage\.files\.\d+\.contents\.source$/), url: K3S.url },
      ]);
    }
  });

  it("follows a merged snippet into its own config", async () => {
    const file = writeEnvironment(
      "snippet.ts",
      `export default { name: "snippet", prefix: "snip", servers: { count: 1, snippets: [{ path: "helm.bu" }] }, agents: { count: 0 }, network: { cidr: "10.77.0.0/24" } };\n`,
      { "helm.bu": SNIPPET },
    );
    const [server] = (await renderEnvironment(file, K3S)).configs;
    const sources = remoteSources(server?.ignition ?? "{}");
    expect(sources.map((s) => s.url)).toEqual(["https://get.helm.sh/helm", K3S.url]);
    expect(sources[0]?.path).toMatch(
      /^\$\.ignition\.config\.merge\.0\.source → \$\.storage\.files\.0\.contents\.source$/,
    );
  });
});

describe("remoteSources on Ignition shapes", () => {
  const merged = {
    ignition: { version: "3.3.0" },
    storage: { files: [{ path: "/x", contents: { source: "s3://bucket/x" } }] },
  };
  it.each([
    ["an inline file", { storage: { files: [{ path: "/a", contents: { source: "data:,hello" } }] } }, []],
    ["an empty source", { storage: { files: [{ path: "/a", contents: { source: "" } }] } }, []],
    [
      "an append from tftp",
      { storage: { files: [{ path: "/a", append: [{ source: "tftp://10.0.0.1/a" }] }] } },
      [{ path: "$.storage.files.0.append.0.source", url: "tftp://10.0.0.1/a" }],
    ],
    [
      "a replaced config",
      { ignition: { config: { replace: { source: "https://config.example/x.ign" } } } },
      [{ path: "$.ignition.config.replace.source", url: "https://config.example/x.ign" }],
    ],
    [
      "a CA bundle",
      {
        ignition: { security: { tls: { certificateAuthorities: [{ source: "http://ca.example/ca.pem" }] } } },
      },
      [{ path: "$.ignition.security.tls.certificateAuthorities.0.source", url: "http://ca.example/ca.pem" }],
    ],
    [
      "a Tang server",
      {
        storage: {
          luks: [{ name: "data", clevis: { tang: [{ url: "http://tang.example", thumbprint: "x" }] } }],
        },
      },
      [{ path: "$.storage.luks.0.clevis.tang.0.url", url: "http://tang.example" }],
    ],
    [
      "a percent-encoded merged config",
      {
        ignition: { config: { merge: [{ source: `data:,${encodeURIComponent(JSON.stringify(merged))}` }] } },
      },
      [
        {
          path: "$.ignition.config.merge.0.source → $.storage.files.0.contents.source",
          url: "s3://bucket/x",
        },
      ],
    ],
    [
      "a gzip-compressed, base64 merged config",
      {
        ignition: {
          config: {
            merge: [
              {
                compression: "gzip",
                source: `data:;base64,${gzipSync(JSON.stringify(merged)).toString("base64")}`,
              },
            ],
          },
        },
      },
      [
        {
          path: "$.ignition.config.merge.0.source → $.storage.files.0.contents.source",
          url: "s3://bucket/x",
        },
      ],
    ],
    [
      "a merged config homelab cannot decode (reported, never assumed offline)",
      { ignition: { config: { merge: [{ source: "data:,not json" }] } } },
      [{ path: "$.ignition.config.merge.0.source", url: "data: (a config homelab cannot read)" }],
    ],
  ])("%s", (_what, config, expected) => {
    expect(remoteSources(config)).toEqual(expected);
  });
});

describe("assertOfflineIgnition", () => {
  it("passes a config without remote sources and refuses one with, naming node, path and URL", () => {
    expect(() => assertOfflineIgnition("lab-agent-1", { storage: { files: [] } })).not.toThrow();
    const config = {
      storage: {
        files: [
          { path: "/opt/bin/k3s", contents: { source: K3S.url } },
          { path: "/b", contents: { source: "https://b.example/b" } },
        ],
      },
    };
    expect(() => assertOfflineIgnition("lab-agent-1", config, "environments/lab.ts")).toThrow(
      expect.objectContaining({
        code: "offline-remote-source",
        message: `lab-agent-1's Ignition would download ${K3S.url} at first boot, but the environment is offline (and 1 more)`,
        where: { file: "environments/lab.ts", path: "offline" },
        details: [
          { message: `lab-agent-1: $.storage.files.0.contents.source: ${K3S.url}` },
          { message: "lab-agent-1: $.storage.files.1.contents.source: https://b.example/b" },
        ],
      }),
    );
  });
});
