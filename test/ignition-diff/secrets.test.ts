import { generateKeyPairSync, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { generateSshKeyPair } from "../../src/secrets/index.js";
import { config, dataSource, file, type IgnitionJson, render } from "./build.js";

/**
 * No secret ever reaches any output form of a diff (human text with and without colour and
 * width, the summary, the JSON): a table of secrets in the places homelab and users put them,
 * each changed and unchanged. Every value is random per run.
 */

const random = (label: string) => `${label}${randomBytes(12).toString("hex")}`;
const OLD_TOKEN = random("K10old");
const NEW_TOKEN = random("K10new");
const PG_PASSWORD = random("pgpass");
const S3_SECRET = random("s3secret");
const VPN_AUTH = random("vpnauth");
const sshKey = generateSshKeyPair("flux@test");
const sshKey2 = generateSshKeyPair("flux@test");
const rsaPem = generateKeyPairSync("rsa", { modulusLength: 1024 }).privateKey.export({
  type: "pkcs1",
  format: "pem",
}) as string;
const ecPem = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({
  type: "sec1",
  format: "pem",
}) as string;
const pkcs8Pem = generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }) as string;

/** Every line of a PEM body: none may show, not even one. */
const bodyLines = (pem: string) =>
  pem.split("\n").filter((line) => line.length > 20 && !line.startsWith("-----"));

const k3sConfig = (token: string, server = "https://10.0.0.1:6443", extra = "") =>
  `server: ${server}\ntoken: ${token}\nnode-name: n1\n${extra}`;

const deployKeySecret = (identity: string, knownHosts = "github.com ssh-ed25519 AAAAC3Nza") =>
  [
    "apiVersion: v1",
    "kind: Secret",
    "metadata:",
    "  name: flux-system",
    "  namespace: flux-system",
    "stringData:",
    "  identity: |",
    ...identity
      .trimEnd()
      .split("\n")
      .map((line) => `    ${line}`),
    `  identity.pub: ${sshKey.publicKey.trim()}`,
    `  known_hosts: ${knownHosts}`,
    "",
  ].join("\n");

const filesConfig = (files: IgnitionJson[], extra: IgnitionJson = {}) =>
  config({ storage: { files }, ...extra });
const one = (path: string, text: string, extra: IgnitionJson = {}) =>
  filesConfig([file(path, text, extra, "gzip")]);

interface SecretCase {
  readonly name: string;
  readonly before: IgnitionJson;
  readonly after: IgnitionJson;
  /** Values that must appear in no output. */
  readonly secrets: readonly string[];
  /** Caller-supplied secrets (`diffIgnition`'s `secrets` option). */
  readonly callerSecrets?: readonly string[];
  /** Patterns the human text must show (e.g. that the secret changed, or what else changed). */
  readonly shows?: readonly RegExp[];
  /** Patterns it must not show (an unchanged secret line as a change). */
  readonly hides?: readonly RegExp[];
}

const CASES: readonly SecretCase[] = [
  {
    name: "k3s token changed in config.yaml",
    before: one("/etc/rancher/k3s/config.yaml", k3sConfig(OLD_TOKEN)),
    after: one("/etc/rancher/k3s/config.yaml", k3sConfig(NEW_TOKEN)),
    secrets: [OLD_TOKEN, NEW_TOKEN],
    shows: [/^ +-token: «secret»$/m, /^ +\+token: «secret changed»$/m, /secret changed/],
  },
  {
    name: "k3s token unchanged, server changed: the token line is no change",
    before: one("/etc/rancher/k3s/config.yaml", k3sConfig(OLD_TOKEN, "https://10.0.0.1:6443")),
    after: one("/etc/rancher/k3s/config.yaml", k3sConfig(OLD_TOKEN, "https://10.0.0.2:6443")),
    secrets: [OLD_TOKEN],
    shows: [/^ +\+server: https:\/\/10\.0\.0\.2:6443$/m, /^ +token: «secret»$/m],
    hides: [/[-+]token/, /secret changed/],
  },
  {
    name: "every credential key of config.yaml (agent-token, t, datastore-endpoint, S3, vpn-auth), quoted or not",
    before: one("/etc/rancher/k3s/config.yaml", "cluster-init: true\n"),
    after: one(
      "/etc/rancher/k3s/config.yaml",
      [
        `agent-token: "${NEW_TOKEN}"`,
        `t: '${OLD_TOKEN}'`,
        `datastore-endpoint: postgres://k3s:${PG_PASSWORD}@db:5432/k3s`,
        `etcd-s3-secret-key: ${S3_SECRET}`,
        `vpn-auth: "name=tailscale,joinKey=${VPN_AUTH}"`,
        "",
      ].join("\n"),
    ),
    secrets: [NEW_TOKEN, OLD_TOKEN, PG_PASSWORD, S3_SECRET, VPN_AUTH],
  },
  {
    name: "a token in a config.yaml.d drop-in, as a block scalar",
    before: one("/etc/rancher/k3s/config.yaml.d/10-token.yaml", `token: |\n  ${OLD_TOKEN}\n  ${NEW_TOKEN}\n`),
    after: one("/etc/rancher/k3s/config.yaml.d/10-token.yaml", `token: |\n  ${NEW_TOKEN}\n`),
    secrets: [OLD_TOKEN, NEW_TOKEN],
    shows: [/secret changed/],
  },
  {
    name: "config.yaml that is not YAML is masked whole",
    before: one("/etc/rancher/k3s/config.yaml", `token: ${OLD_TOKEN}\n`),
    after: one("/etc/rancher/k3s/config.yaml", `token: ${NEW_TOKEN}\n  bad: [indent\n`),
    secrets: [OLD_TOKEN, NEW_TOKEN],
  },
  {
    name: "the node password file, changed",
    before: one("/etc/rancher/node/password", `${OLD_TOKEN}\n`),
    after: one("/etc/rancher/node/password", `${NEW_TOKEN}\n`),
    secrets: [OLD_TOKEN, NEW_TOKEN],
    shows: [/contents secret changed/],
  },
  {
    name: "the node password file, added",
    before: filesConfig([]),
    after: one("/etc/rancher/node/password", `${NEW_TOKEN}\n`),
    secrets: [NEW_TOKEN],
  },
  {
    name: "PEM private keys (OpenSSH, PKCS#1, SEC1, PKCS#8) in any file",
    before: one("/etc/homelab/keys.pem", `${sshKey.privateKey}${rsaPem}`),
    after: one("/etc/homelab/keys.pem", `${sshKey2.privateKey}${ecPem}${pkcs8Pem}`),
    secrets: [
      ...bodyLines(sshKey.privateKey),
      ...bodyLines(sshKey2.privateKey),
      ...bodyLines(rsaPem),
      ...bodyLines(ecPem),
      ...bodyLines(pkcs8Pem),
    ],
    shows: [/-----BEGIN OPENSSH PRIVATE KEY-----/],
  },
  {
    name: "an unterminated PEM block",
    before: filesConfig([]),
    after: one("/etc/homelab/cut.pem", rsaPem.slice(0, rsaPem.length / 2)),
    secrets: bodyLines(rsaPem.slice(0, rsaPem.length / 2)).slice(0, -1),
  },
  {
    name: "the Flux deploy key Secret manifest: stringData masked, a new key is a changed secret",
    before: one(
      "/var/lib/rancher/k3s/server/manifests/homelab-flux-deploy-key.yaml",
      deployKeySecret(sshKey.privateKey),
    ),
    after: one(
      "/var/lib/rancher/k3s/server/manifests/homelab-flux-deploy-key.yaml",
      deployKeySecret(sshKey2.privateKey),
    ),
    secrets: [...bodyLines(sshKey.privateKey), ...bodyLines(sshKey2.privateKey)],
    shows: [/identity: «secret changed»/],
  },
  {
    name: "a Secret manifest where only known_hosts changed: the key is no change",
    before: one("/var/lib/rancher/k3s/server/manifests/deploy.yaml", deployKeySecret(sshKey.privateKey, "a")),
    after: one("/var/lib/rancher/k3s/server/manifests/deploy.yaml", deployKeySecret(sshKey.privateKey, "b")),
    secrets: bodyLines(sshKey.privateKey),
    hides: [/[-+] *identity: /],
  },
  {
    name: "Secrets as JSON, in a List and after another document: data values masked",
    before: one("/etc/homelab/manifests.yaml", "kind: ConfigMap\nmetadata: {name: a}\n"),
    after: one(
      "/etc/homelab/manifests.yaml",
      [
        "kind: ConfigMap",
        "metadata: {name: a}",
        "---",
        JSON.stringify({
          apiVersion: "v1",
          kind: "Secret",
          metadata: { name: "j" },
          data: { token: btoa(NEW_TOKEN) },
        }),
        "---",
        "apiVersion: v1",
        "kind: List",
        "items:",
        "  - kind: Secret",
        "    metadata: {name: l}",
        `    stringData: {password: ${PG_PASSWORD}}`,
        "",
      ].join("\n"),
    ),
    secrets: [btoa(NEW_TOKEN), PG_PASSWORD],
  },
  {
    name: "K3S_TOKEN= in an environment file, --token in a unit, Environment= in a drop-in",
    before: config({
      storage: { files: [file("/etc/default/k3s", `K3S_TOKEN=${OLD_TOKEN}\n`)] },
      systemd: {
        units: [
          {
            name: "k3s-agent.service",
            contents: `[Service]\nExecStart=/opt/bin/k3s agent --token ${OLD_TOKEN}\n`,
          },
        ],
      },
    }),
    after: config({
      storage: { files: [file("/etc/default/k3s", `K3S_TOKEN="${NEW_TOKEN}"\n`)] },
      systemd: {
        units: [
          {
            name: "k3s-agent.service",
            contents: `[Service]\nExecStart=/opt/bin/k3s agent --token=${NEW_TOKEN}\n`,
            dropins: [
              { name: "10-env.conf", contents: `[Service]\nEnvironment=K3S_AGENT_TOKEN=${NEW_TOKEN}\n` },
            ],
          },
        ],
      },
    }),
    secrets: [OLD_TOKEN, NEW_TOKEN],
  },
  {
    name: "caller secrets anywhere: file text, unit, link target, URL, kernel argument, gecos, path, binary",
    before: config({}),
    after: config({
      storage: {
        files: [
          file("/etc/motd", `welcome ${NEW_TOKEN} and ${encodeURIComponent(`${OLD_TOKEN}/x`)}\n`),
          file(`/etc/${OLD_TOKEN}.conf`, "x\n"),
          file("/opt/blob", Buffer.concat([Buffer.from([0, 1]), Buffer.from(NEW_TOKEN)])),
          { path: "/opt/remote", contents: { source: `https://example.invalid/get?t=${NEW_TOKEN}` } },
        ],
        links: [{ path: "/etc/link", target: `/opt/${NEW_TOKEN}` }],
      },
      systemd: { units: [{ name: "a.service", contents: `[Service]\nExecStart=/bin/echo ${OLD_TOKEN}\n` }] },
      kernelArguments: { shouldExist: [`homelab.token=${NEW_TOKEN}`] },
      passwd: { users: [{ name: "bob", gecos: `Bob ${OLD_TOKEN}` }] },
    }),
    secrets: [OLD_TOKEN, NEW_TOKEN, encodeURIComponent(OLD_TOKEN)],
    callerSecrets: [OLD_TOKEN, NEW_TOKEN],
  },
  {
    name: "a caller secret with quotes and backslashes, which JSON escapes",
    before: one("/etc/odd", "a\n"),
    after: one("/etc/odd", `pass: ${OLD_TOKEN}"\\x\n`),
    secrets: [`${OLD_TOKEN}"\\x`],
    callerSecrets: [`${OLD_TOKEN}"\\x`],
  },
  {
    name: "a private key passed by the caller, in a file no rule knows",
    before: filesConfig([]),
    after: one(
      "/etc/homelab/notes.txt",
      `key follows\n${sshKey.privateKey.replace(/-----[^\n]*-----\n?/g, "")}`,
    ),
    secrets: bodyLines(sshKey.privateKey),
    callerSecrets: [sshKey.privateKey],
  },
  {
    name: "password hashes, HTTP header values, LUKS key files, proxy and source credentials",
    before: config({
      ignition: { proxy: { httpsProxy: `http://u:${PG_PASSWORD}@proxy:3128` } },
      passwd: {
        users: [{ name: "core", passwordHash: `$6$${OLD_TOKEN}` }],
        groups: [{ name: "g", passwordHash: `$6$${OLD_TOKEN}` }],
      },
      storage: {
        files: [
          {
            path: "/opt/x",
            contents: {
              source: `https://user:${S3_SECRET}@example.invalid/x`,
              httpHeaders: [{ name: "Authorization", value: `Bearer ${OLD_TOKEN}` }],
            },
          },
        ],
        luks: [{ name: "data", device: "/dev/vdb", keyFile: dataSource(OLD_TOKEN) }],
      },
    }),
    after: config({
      ignition: { proxy: { httpsProxy: `http://u:${VPN_AUTH}@proxy:3128` } },
      passwd: {
        users: [{ name: "core", passwordHash: `$6$${NEW_TOKEN}` }],
        groups: [{ name: "g", passwordHash: `$6$${NEW_TOKEN}` }],
      },
      storage: {
        files: [
          {
            path: "/opt/x",
            contents: {
              source: `https://user:${PG_PASSWORD}@example.invalid/y`,
              httpHeaders: [{ name: "Authorization", value: `Bearer ${NEW_TOKEN}` }],
            },
          },
        ],
        luks: [{ name: "data", device: "/dev/vdb", keyFile: dataSource(NEW_TOKEN) }],
      },
    }),
    secrets: [OLD_TOKEN, NEW_TOKEN, PG_PASSWORD, S3_SECRET, VPN_AUTH],
    shows: [
      /password hash: secret changed/,
      /http header Authorization: secret changed/,
      /key file: secret changed/,
      /value: secret changed/,
    ],
  },
];

describe("no secret appears in any output", () => {
  it.each(CASES)("$name", (testCase) => {
    const rendered = render(testCase.before, testCase.after, { secrets: testCase.callerSecrets ?? [] });
    expect(rendered.text).not.toBe("no Ignition change");
    for (const secret of testCase.secrets) {
      expect(secret.length).toBeGreaterThan(8);
      for (const [name, output] of Object.entries({
        text: rendered.text,
        colored: rendered.colored,
        summary: rendered.summary,
        json: rendered.json,
      })) {
        const forms = [secret, JSON.stringify(secret).slice(1, -1), secret.slice(0, 12)];
        for (const form of forms) expect(output.includes(form), `${form} in ${name}:\n${output}`).toBe(false);
      }
    }
    for (const pattern of testCase.shows ?? []) expect(rendered.text).toMatch(pattern);
    for (const pattern of testCase.hides ?? []) expect(rendered.text).not.toMatch(pattern);
  });

  it("and the same holds in the other direction (after → before)", () => {
    for (const testCase of CASES) {
      const rendered = render(testCase.after, testCase.before, { secrets: testCase.callerSecrets ?? [] });
      for (const secret of testCase.secrets) {
        expect(`${rendered.text}${rendered.json}`.includes(secret), `${testCase.name}: ${secret}`).toBe(
          false,
        );
      }
    }
  });
});
