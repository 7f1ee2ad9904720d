import { createHash, randomBytes } from "node:crypto";
import { bench, describe } from "vitest";
import production from "../environments/production.js";
import { type EnvironmentInput, EnvironmentSchema } from "../src/environment/schema.js";
import { gitopsBootstrapFiles } from "../src/gitops/index.js";
import {
  decodeIgnition,
  diffIgnition,
  formatIgnitionDiff,
  summarizeIgnitionDiff,
  toJson,
} from "../src/ignition-diff/index.js";
import { type ExtraNodeFile, renderNodeConfigs } from "../src/nodes/index.js";
import { planCluster } from "../src/plan/index.js";
import { generateSshKeyPair } from "../src/secrets/index.js";
import { testNodePasswords } from "../test/support/node-passwords.js";

/**
 * The Ignition part of `homelab plan` for a 30-node environment (3 servers, 27 agents): for every
 * node, decode the applied and the rendered Ignition, diff them, and produce all three outputs
 * (text, summary line, JSON). Budget: well under 2 s for the 30 nodes (issue 10); aim < 200 ms.
 *
 * The configs are homelab's own (renderNodeConfigs), made as large as real ones get, 20–40 KB:
 * the gzip'd wait-for-server script and config.yaml, plus on every server a kube-vip manifest
 * (RBAC and DaemonSet), on the first server the Flux bootstrap (deploy key Secret, sync objects),
 * and on every node a 16-certificate CA bundle (poorly compressible) and a registries.yaml.
 *
 * Cases: a typical roll (an SSH key added, the k3s pin, the update window and the kube-vip image
 * moved: every node changes), nothing changed (only the disk size would differ), and the worst
 * case: a new token and a CA bundle rewritten whole on every node.
 */

const NODES = 30;
const TOKEN = randomBytes(32).toString("hex");
const HOMELAB_KEY = generateSshKeyPair("homelab@production").publicKey.trim();
const DEPLOY_KEY = generateSshKeyPair("flux-production@homelab");
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** PEM-shaped certificates whose lines are hashes: as incompressible as real ones. */
function caBundle(seed: string): string {
  let out = "";
  for (let cert = 0; cert < 16; cert++) {
    const lines = Array.from({ length: 18 }, (_, line) =>
      createHash("sha512").update(`${seed}/${cert}/${line}`).digest("base64").slice(0, 64),
    );
    out += `-----BEGIN CERTIFICATE-----\n${lines.join("\n")}\n-----END CERTIFICATE-----\n`;
  }
  return out;
}

function kubeVipManifest(version: string): string {
  const rbac = `apiVersion: v1
kind: ServiceAccount
metadata:
  name: kube-vip
  namespace: kube-system
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: system:kube-vip-role
rules:
  - apiGroups: [""]
    resources: ["services/status"]
    verbs: ["update"]
  - apiGroups: [""]
    resources: ["services", "endpoints"]
    verbs: ["list", "get", "watch", "update"]
  - apiGroups: [""]
    resources: ["nodes"]
    verbs: ["list", "get", "watch", "update", "patch"]
  - apiGroups: ["coordination.k8s.io"]
    resources: ["leases"]
    verbs: ["list", "get", "watch", "update", "create"]
  - apiGroups: ["discovery.k8s.io"]
    resources: ["endpointslices"]
    verbs: ["list", "get", "watch", "update"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: system:kube-vip-binding
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: system:kube-vip-role
subjects:
  - kind: ServiceAccount
    name: kube-vip
    namespace: kube-system
`;
  const env = [
    ["vip_arp", "true"],
    ["port", "6443"],
    ["vip_interface", "eth0"],
    ["vip_cidr", "32"],
    ["cp_enable", "true"],
    ["cp_namespace", "kube-system"],
    ["vip_ddns", "false"],
    ["svc_enable", "false"],
    ["vip_leaderelection", "true"],
    ["vip_leaseduration", "5"],
    ["vip_renewdeadline", "3"],
    ["vip_retryperiod", "1"],
    ["address", "192.168.142.5"],
    ["prometheus_server", ":2112"],
  ]
    .map(([name, value]) => `            - name: ${name}\n              value: "${value}"`)
    .join("\n");
  const daemonSet = `---
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: kube-vip-ds
  namespace: kube-system
  labels:
    app.kubernetes.io/name: kube-vip-ds
    app.kubernetes.io/version: ${version}
spec:
  selector:
    matchLabels:
      app.kubernetes.io/name: kube-vip-ds
  template:
    metadata:
      labels:
        app.kubernetes.io/name: kube-vip-ds
        app.kubernetes.io/version: ${version}
    spec:
      affinity:
        nodeAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
            nodeSelectorTerms:
              - matchExpressions:
                  - key: node-role.kubernetes.io/master
                    operator: Exists
              - matchExpressions:
                  - key: node-role.kubernetes.io/control-plane
                    operator: Exists
      containers:
        - name: kube-vip
          image: ghcr.io/kube-vip/kube-vip:${version}
          imagePullPolicy: IfNotPresent
          args: ["manager"]
          env:
${env}
          securityContext:
            capabilities:
              add: ["NET_ADMIN", "NET_RAW"]
      hostNetwork: true
      serviceAccountName: kube-vip
      tolerations:
        - effect: NoSchedule
          operator: Exists
        - effect: NoExecute
          operator: Exists
`;
  return rbac + daemonSet;
}

const REGISTRIES = `mirrors:
  docker.io:
    endpoint:
      - "https://registry.home.arpa:5000"
  ghcr.io:
    endpoint:
      - "https://registry.home.arpa:5000"
configs:
  "registry.home.arpa:5000":
    tls:
      ca_file: /etc/ssl/certs/homelab-ca.pem
`;

interface Version {
  readonly sshKeys: readonly string[];
  readonly k3s: { url: string; sha256: string };
  readonly window: string;
  readonly kubeVip: string;
  readonly token: string;
  readonly caSeed: string;
}

function render(version: Version) {
  const input = {
    ...production,
    agents: { ...production.agents, count: NODES - 3 },
    updates: { strategy: "reboot", window: { start: version.window, length: "3h" } },
    gitops: { url: "ssh://git@github.com/example/homelab.git" },
  } satisfies EnvironmentInput;
  const environment = EnvironmentSchema.parse(input);
  const plan = planCluster(environment, { file: "environments/production.ts" });
  const bootstrap = gitopsBootstrapFiles({
    environment,
    plan,
    deployKey: DEPLOY_KEY,
    fluxRelease: {
      version: "v2.7.0",
      installManifest: { url: "https://example.invalid/install.yaml", sha256: sha256("x") },
    },
  });
  const common: ExtraNodeFile[] = [
    { path: "/etc/ssl/certs/homelab-ca.pem", mode: 0o644, contents: caBundle(version.caSeed) },
    { path: "/etc/rancher/k3s/registries.yaml", mode: 0o600, contents: REGISTRIES },
  ];
  const kubeVip: ExtraNodeFile = {
    path: "/var/lib/rancher/k3s/server/manifests/kube-vip.yaml",
    mode: 0o600,
    contents: kubeVipManifest(version.kubeVip),
  };
  const extraFiles = new Map<string, ExtraNodeFile[]>(
    plan.nodes.map((node) => [
      node.name,
      [
        ...common,
        ...(node.role === "server" ? [kubeVip] : []),
        ...(node.name === plan.firstServer.name ? bootstrap : []),
      ],
    ]),
  );
  return renderNodeConfigs(plan, {
    k3sToken: version.token,
    sshPublicKeys: [...version.sshKeys],
    k3sBinary: version.k3s,
    extraFiles,
    nodePasswords: testNodePasswords(plan),
  }).map((config) => config.ignition);
}

const BASE: Version = {
  sshKeys: [HOMELAB_KEY],
  k3s: { url: "https://github.com/k3s-io/k3s/releases/download/v1.34.10%2Bk3s1/k3s", sha256: "a".repeat(64) },
  window: "Sun 03:00",
  kubeVip: "v0.9.2",
  token: TOKEN,
  caSeed: "one",
};
const applied = render(BASE);
const typical = render({
  ...BASE,
  sshKeys: [HOMELAB_KEY, generateSshKeyPair("alice@laptop").publicKey.trim()],
  k3s: { url: "https://github.com/k3s-io/k3s/releases/download/v1.35.1%2Bk3s1/k3s", sha256: "b".repeat(64) },
  window: "Sat 04:00",
  kubeVip: "v1.0.0",
});
const worst = render({ ...BASE, token: randomBytes(32).toString("hex"), caSeed: "two" });

const sizes = applied.map((text) => text.length);
console.log(
  `ignition-diff bench: ${NODES} nodes, Ignition ${Math.min(...sizes)}–${Math.max(...sizes)} bytes per node ` +
    `(${Math.round(sizes.reduce((a, b) => a + b, 0) / 1024)} KiB in all)`,
);

const secrets = [TOKEN, DEPLOY_KEY.privateKey];

function planIgnitionDiffs(before: readonly string[], after: readonly string[]): number {
  let length = 0;
  for (let i = 0; i < before.length; i++) {
    const a = decodeIgnition(before[i]!);
    const b = decodeIgnition(after[i]!);
    if (!a.ok || !b.ok) throw new Error("the bench configs must decode");
    const diff = diffIgnition(a.config, b.config, { secrets });
    length += formatIgnitionDiff(diff, { indent: 4 }).length;
    length += summarizeIgnitionDiff(diff).length;
    length += JSON.stringify(toJson(diff)).length;
  }
  return length;
}

describe(`Ignition differences for ${NODES} nodes (decode both + diff + text + summary + JSON)`, () => {
  bench("typical roll: SSH key, k3s pin, update window, kube-vip image", () => {
    planIgnitionDiffs(applied, typical);
  });
  bench("nothing changed", () => {
    planIgnitionDiffs(applied, applied);
  });
  bench("worst case: new token, CA bundle rewritten whole", () => {
    planIgnitionDiffs(applied, worst);
  });
  bench("decode only (60 configs)", () => {
    for (const text of [...applied, ...typical]) decodeIgnition(text);
  });
});
