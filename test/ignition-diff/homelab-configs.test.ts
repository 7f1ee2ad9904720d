import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import production from "../../environments/production.js";
import { type EnvironmentInput, EnvironmentSchema } from "../../src/environment/schema.js";
import { gitopsBootstrapFiles } from "../../src/gitops/index.js";
import {
  decodeIgnition,
  diffIgnition,
  formatIgnitionDiff,
  IGNITION_DIFF_CATEGORIES,
  type IgnitionDiff,
  summarizeIgnitionDiff,
  toJson,
} from "../../src/ignition-diff/index.js";
import { type NodeConfigInputs, type RenderedNodeConfig, renderNodeConfigs } from "../../src/nodes/index.js";
import { planCluster } from "../../src/plan/index.js";
import { rebootFiles } from "../../src/reboots/index.js";
import { registrationFiles } from "../../src/registration/index.js";
import { generateK3sToken, generateSshKeyPair } from "../../src/secrets/index.js";
import { testNodePasswords } from "../support/node-passwords.js";

/**
 * Real homelab Ignition: the shipped production environment (3 servers, 3 agents) rendered by
 * `renderNodeConfigs` twice, before and after one change a user makes, and every node's diff
 * must name exactly what changed — no more (nodes the change does not touch show nothing), no
 * less — while the token and the deploy key stay out of every output.
 */

const KEY_ALICE =
  "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHU/SctF+x0sQCFzh0yuB5z9D6OZk2qy06PkThd7IOxE alice@laptop";
const HOMELAB_KEY = generateSshKeyPair("homelab@production").publicKey.trim();
const TOKEN = generateK3sToken();
const DEPLOY_KEY = generateSshKeyPair("flux-production@homelab");
const K3S = {
  url: "https://github.com/k3s-io/k3s/releases/download/v1.34.10%2Bk3s1/k3s",
  sha256: "a".repeat(64),
};
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

const SNIPPET_FILE_AND_UNIT = `variant: flatcar
version: 1.0.0
storage:
  files:
    - path: /etc/homelab/motd
      mode: 0644
      contents:
        inline: |
          Welcome to the homelab.
systemd:
  units:
    - name: homelab-motd.service
      enabled: true
      contents: |
        [Unit]
        Description=Print the motd
        [Service]
        Type=oneshot
        ExecStart=/usr/bin/cat /etc/homelab/motd
        [Install]
        WantedBy=multi-user.target
`;

interface Version {
  readonly environment?: Partial<EnvironmentInput>;
  readonly inputs?: Partial<NodeConfigInputs>;
  readonly gitops?: { readonly deployKey: { privateKey: string; publicKey: string } };
}

function renderVersion(version: Version): RenderedNodeConfig[] {
  const environment = EnvironmentSchema.parse({
    ...production,
    ...version.environment,
  } satisfies EnvironmentInput);
  const plan = planCluster(environment, { file: "environments/production.ts" });
  const bootstrap = version.gitops
    ? gitopsBootstrapFiles({
        environment,
        plan,
        deployKey: version.gitops.deployKey,
        fluxRelease: {
          version: "v2.7.0",
          installManifest: { url: "https://example.invalid/install.yaml", sha256: sha256("stand-in") },
        },
      })
    : [];
  return renderNodeConfigs(plan, {
    k3sToken: TOKEN,
    sshPublicKeys: [HOMELAB_KEY],
    k3sBinary: K3S,
    nodePasswords: testNodePasswords(plan),
    // As render composes them: kube-vip and kured, identical on every server.
    serverFiles: [...registrationFiles(plan), ...rebootFiles(plan)],
    ...(bootstrap.length > 0 ? { bootstrapFiles: bootstrap } : {}),
    ...version.inputs,
  });
}

function decodedOrThrow(text: string) {
  const result = decodeIgnition(text);
  if (!result.ok) throw new Error(`${result.error.path}: ${result.error.message}`);
  return result.config;
}

/** `category status key` for every entry, plus `… key label` for every content or field change. */
function changeList(diff: IgnitionDiff): string[] {
  const out: string[] = [];
  for (const category of IGNITION_DIFF_CATEGORIES) {
    for (const status of ["added", "removed", "changed"] as const) {
      for (const entry of diff[category][status]) {
        out.push(`${category} ${status} ${entry.key}`);
        for (const field of entry.fields) out.push(`  field ${field.field}`);
        for (const list of entry.lists)
          out.push(`  list ${list.field} +${list.added.length} -${list.removed.length}`);
        for (const content of entry.contents)
          out.push(`  ${content.kind} ${content.label} ${content.status}`);
      }
    }
  }
  return out;
}

const GITOPS = { url: "ssh://git@github.com/example/homelab.git" };
const deployKey2 = generateSshKeyPair("flux-production@homelab");

interface Scenario {
  readonly name: string;
  readonly before: Version;
  readonly after: Version;
  /** Expected change list per node; nodes not named must have no change at all. */
  readonly expected: Readonly<Record<string, readonly string[]>>;
  readonly summaries?: Readonly<Record<string, string>>;
}

const ALL_NODES = [
  "k3s-prod-server-1",
  "k3s-prod-server-2",
  "k3s-prod-server-3",
  "k3s-prod-agent-1",
  "k3s-prod-agent-2",
  "k3s-prod-agent-3",
];
const everyNode = (changes: readonly string[]) =>
  Object.fromEntries(ALL_NODES.map((name) => [name, changes]));
const SERVERS = ALL_NODES.filter((name) => name.includes("server"));
const AGENTS = ALL_NODES.filter((name) => name.includes("agent"));

const SCENARIOS: readonly Scenario[] = [
  {
    name: "an SSH key added to the environment",
    before: {},
    after: { inputs: { sshPublicKeys: [HOMELAB_KEY, KEY_ALICE] } },
    expected: everyNode(["users changed core", "  list ssh key +1 -0"]),
    summaries: { "k3s-prod-agent-1": "1 SSH key added" },
  },
  {
    name: "a new k3s release (URL and hash)",
    before: {},
    after: {
      inputs: {
        k3sBinary: {
          url: "https://github.com/k3s-io/k3s/releases/download/v1.35.1%2Bk3s1/k3s",
          sha256: "b".repeat(64),
        },
      },
    },
    expected: everyNode(["files changed /opt/bin/k3s", "  field source", "  field verification"]),
    summaries: { "k3s-prod-server-2": "k3s changed (source)" },
  },
  {
    name: "the update window moved",
    before: {},
    after: { environment: { updates: { strategy: "reboot", window: { start: "Sat 04:00", length: "3h" } } } },
    // The window is kured's (src/reboots): only the servers' HelmChart changes; update.conf
    // always says REBOOT_STRATEGY=off and agents carry no window at all.
    expected: Object.fromEntries(
      SERVERS.map((name) => [
        name,
        ["files changed /var/lib/rancher/k3s/server/manifests/homelab-kured.yaml", "  text contents changed"],
      ]),
    ),
    summaries: { "k3s-prod-server-1": "homelab-kured.yaml changed (HelmChart/kube-system/kured)" },
  },
  {
    name: "a snippet with a file and a unit for the agents",
    before: {},
    after: { environment: { agents: { ...production.agents, snippets: [SNIPPET_FILE_AND_UNIT] } } },
    expected: Object.fromEntries(
      AGENTS.map((name) => [
        name,
        [
          "files added /etc/homelab/motd",
          "  field mode",
          "  text contents added",
          "units added homelab-motd.service",
          "  field enabled",
          "  text unit added",
        ],
      ]),
    ),
    summaries: { "k3s-prod-agent-3": "motd added, homelab-motd.service added" },
  },
  {
    name: "a snippet's file mode changed",
    before: { environment: { servers: { ...production.servers, snippets: [SNIPPET_FILE_AND_UNIT] } } },
    after: {
      environment: {
        servers: {
          ...production.servers,
          snippets: [SNIPPET_FILE_AND_UNIT.replace("mode: 0644", "mode: 0600")],
        },
      },
    },
    expected: Object.fromEntries(
      SERVERS.map((name) => [name, ["files changed /etc/homelab/motd", "  field mode"]]),
    ),
    summaries: { "k3s-prod-server-3": "motd changed (mode)" },
  },
  {
    name: "a bundled k3s component no longer disabled (servers only)",
    before: {},
    after: { environment: { k3s: { disable: ["servicelb"] } } },
    expected: Object.fromEntries(
      SERVERS.map((name) => [
        name,
        ["files changed /etc/rancher/k3s/config.yaml", "  text contents changed"],
      ]),
    ),
    summaries: { "k3s-prod-server-1": "config.yaml changed (disable)" },
  },
  {
    name: "a new k3s token",
    before: {},
    after: { inputs: { k3sToken: generateK3sToken() } },
    expected: everyNode(["files changed /etc/rancher/k3s/config.yaml", "  text contents changed"]),
    summaries: { "k3s-prod-agent-2": "config.yaml changed (token, secret changed)" },
  },
  {
    name: "GitOps switched on: the bootstrap manifests on the first server only",
    before: {},
    after: { environment: { gitops: GITOPS }, gitops: { deployKey: DEPLOY_KEY } },
    expected: {
      "k3s-prod-server-1": [
        "files added /var/lib/rancher/k3s/server/manifests/homelab-flux-deploy-key.yaml",
        "  field mode",
        "  field overwrite",
        "  text contents added",
        "files added /var/lib/rancher/k3s/server/manifests/homelab-flux-install.yaml",
        "  field mode",
        "  field overwrite",
        "  field source",
        "  field verification",
        "files added /var/lib/rancher/k3s/server/manifests/homelab-flux-sync.yaml",
        "  field mode",
        "  field overwrite",
        "  text contents added",
      ],
    },
  },
  {
    name: "the deploy key rotated",
    before: { environment: { gitops: GITOPS }, gitops: { deployKey: DEPLOY_KEY } },
    after: { environment: { gitops: GITOPS }, gitops: { deployKey: deployKey2 } },
    expected: {
      "k3s-prod-server-1": [
        "files changed /var/lib/rancher/k3s/server/manifests/homelab-flux-deploy-key.yaml",
        "  text contents changed",
      ],
    },
    summaries: {
      "k3s-prod-server-1":
        "homelab-flux-deploy-key.yaml changed (Secret/flux-system/flux-system, secret changed)",
    },
  },
  {
    name: "nothing changed",
    before: {},
    after: {},
    expected: {},
    summaries: { "k3s-prod-server-1": "no Ignition change" },
  },
];

describe("diffs of real homelab node configs name exactly what changed", () => {
  it.each(SCENARIOS)("$name", (scenario) => {
    const before = renderVersion(scenario.before);
    const after = renderVersion(scenario.after);
    const secrets = [
      TOKEN,
      DEPLOY_KEY.privateKey,
      deployKey2.privateKey,
      ...(scenario.after.inputs?.k3sToken ? [scenario.after.inputs.k3sToken] : []),
    ];
    for (const node of after) {
      const previous = before.find((config) => config.node.name === node.node.name)!;
      const diff = diffIgnition(decodedOrThrow(previous.ignition), decodedOrThrow(node.ignition), {
        secrets,
      });
      expect(changeList(diff), node.node.name).toEqual(scenario.expected[node.node.name] ?? []);
      const summary = summarizeIgnitionDiff(diff);
      const expectedSummary = scenario.summaries?.[node.node.name];
      if (expectedSummary !== undefined) expect(summary, node.node.name).toBe(expectedSummary);
      const outputs = [
        formatIgnitionDiff(diff),
        formatIgnitionDiff(diff, { color: true, width: 80 }),
        summary,
        JSON.stringify(toJson(diff)),
      ];
      const keyBody = (key: string) =>
        key.split("\n").filter((line) => line.length > 20 && !line.startsWith("-----"));
      for (const output of outputs) {
        for (const secret of [
          TOKEN,
          scenario.after.inputs?.k3sToken,
          ...keyBody(DEPLOY_KEY.privateKey),
          ...keyBody(deployKey2.privateKey),
        ]) {
          if (secret !== undefined)
            expect(output.includes(secret), `${node.node.name}: secret in\n${output}`).toBe(false);
        }
      }
    }
  });

  it("an agent's diff for a new key and a new update window, as `homelab plan` prints it", () => {
    const before = renderVersion({});
    const after = renderVersion({
      inputs: { sshPublicKeys: [HOMELAB_KEY, KEY_ALICE] },
      environment: { updates: { strategy: "reboot", window: { start: "Sat 04:00", length: "2h" } } },
    });
    const diff = diffIgnition(decodedOrThrow(before[3]!.ignition), decodedOrThrow(after[3]!.ignition), {
      secrets: [TOKEN],
    });
    // The window lives in the servers' kured HelmChart: an agent's Ignition shows only the key.
    expect(summarizeIgnitionDiff(diff)).toBe("1 SSH key added");
    expect(formatIgnitionDiff(diff, { indent: 4 })).toBe(
      [
        "    users: 1 changed",
        "      ~ core",
        "          + ssh key ssh-ed25519 SHA256:9KekDs91cGARWitaYifUMBbjhFOrwqbPhWPa5xmqr7Q alice@laptop",
      ].join("\n"),
    );
  });
});
