import { gunzipSync } from "node:zlib";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type EnvironmentInput, EnvironmentSchema } from "../environment/schema.js";
import { HomelabError } from "../errors/index.js";
import { planCluster } from "../plan/index.js";
import { type NodeConfigInputs, renderNodeConfigs } from "./render.js";

/** No lone surrogates: only well-formed Unicode can be UTF-8 (String#isWellFormed is ES2024). */
function isWellFormed(text: string): boolean {
  return !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(text);
}

const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGbAYOHjlzmw0sJ+QnJUT3F1CyF+kt0M3ZBzm3JZAhFM homelab@test";
/** Every node name the tests' plans have (prefix `t`), with a password each. */
const PASSWORDS = new Map(
  ["server", "agent"].flatMap((role) =>
    Array.from({ length: 12 }, (_, i) => [`t-${role}-${i + 1}`, `${i}`.padStart(32, "a")] as const),
  ),
);

const INPUTS: NodeConfigInputs = {
  k3sToken: "0123456789abcdef".repeat(4),
  sshPublicKeys: [KEY],
  k3sBinary: { url: "https://example.invalid/k3s", sha256: "ab".repeat(32) },
  nodePasswords: PASSWORDS,
};

function planOf(input: Partial<EnvironmentInput> = {}) {
  const environment = EnvironmentSchema.parse({
    name: "test",
    prefix: "t",
    network: { cidr: "192.168.150.0/24" },
    servers: { count: 1 },
    agents: { count: 1 },
    ssh: { authorizedKeys: [] },
    ...input,
  });
  return planCluster(environment, { file: "environments/test.ts" });
}

function caught(work: () => unknown): HomelabError {
  try {
    work();
  } catch (error) {
    if (error instanceof HomelabError) return error;
    throw error;
  }
  throw new Error("expected a HomelabError");
}

function storageFile(
  ignition: string,
  path: string,
): { contents: { source: string; compression?: string } } | undefined {
  return (
    JSON.parse(ignition) as { storage: { files: { path: string; contents: { source: string } }[] } }
  ).storage.files.find((f) => f.path === path);
}

describe("renderNodeConfigs", () => {
  it("is deterministic: same plan and inputs, same bytes", () => {
    const plan = planOf();
    const first = renderNodeConfigs(plan, INPUTS);
    const second = renderNodeConfigs(planOf(), INPUTS);
    expect(second.map((c) => c.ignition)).toEqual(first.map((c) => c.ignition));
    expect(second.map((c) => c.butane)).toEqual(first.map((c) => c.butane));
  });

  it("keeps SSH key comments with YAML-looking text as they are", () => {
    const odd = `${KEY.split(" ").slice(0, 2).join(" ")} it's: a "comment" # with - [yaml] {bits}`;
    const [server] = renderNodeConfigs(planOf(), { ...INPUTS, sshPublicKeys: [KEY, odd] });
    expect(JSON.parse(server!.ignition).passwd.users[0].sshAuthorizedKeys).toEqual([KEY, odd]);
  });

  it("carries arbitrary extra file contents and remote files through to Ignition", () => {
    const plan = planOf();
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 200 }).filter(isWellFormed), (contents) => {
        const extraFiles = new Map([
          [
            "t-server-1",
            [
              { path: "/var/lib/extra.yaml", mode: 0o600, contents },
              {
                path: "/var/lib/remote.yaml",
                mode: 0o644,
                source: { url: "https://example.invalid/x.yaml", sha256: "cd".repeat(32) },
              },
            ],
          ],
        ]);
        const [server] = renderNodeConfigs(plan, { ...INPUTS, extraFiles });
        const file = storageFile(server!.ignition, "/var/lib/extra.yaml");
        expect(file).toBeDefined();
        const { source, compression } = file!.contents;
        const comma = source.indexOf(",");
        const raw = source.slice(5, comma).endsWith(";base64")
          ? Buffer.from(source.slice(comma + 1), "base64")
          : Buffer.from(decodeURIComponent(source.slice(comma + 1)), "utf8");
        const decoded = compression === "gzip" ? gunzipSync(raw).toString("utf8") : raw.toString("utf8");
        expect(decoded).toBe(contents);
        expect(storageFile(server!.ignition, "/var/lib/remote.yaml")?.contents).toEqual({
          source: "https://example.invalid/x.yaml",
          verification: { hash: `sha256-${"cd".repeat(32)}` },
        });
      }),
      { numRuns: 25 },
    );
  });

  it("names the snippet and the compiler's diagnostic when a snippet does not compile", () => {
    const plan = planOf({
      servers: {
        count: 1,
        snippets: ["variant: flatcar\nversion: 1.0.0\nstorage:\n  files:\n    - path: relative/path\n"],
      },
    });
    const error = caught(() => renderNodeConfigs(plan, INPUTS));
    expect(error.code).toBe("env-snippet-invalid");
    expect(error.message).toContain("environments/test.ts: servers.snippets.0");
    expect(error.message).toMatch(/path not absolute/);
    expect(error.where).toEqual({ file: "environments/test.ts", path: "servers.snippets.0" });
  });

  it("treats a snippet warning as an error (strict)", () => {
    const plan = planOf({
      agents: { count: 1, snippets: ["variant: flatcar\nversion: 1.0.0\nunknown_key: 1\n"] },
    });
    const error = caught(() => renderNodeConfigs(plan, INPUTS));
    expect(error.code).toBe("env-snippet-invalid");
    expect(error.message).toMatch(/unused key unknown_key/i);
  });

  it("refuses a snippet that needs a newer Ignition than the node configs", () => {
    const plan = planOf({ agents: { count: 1, snippets: ["variant: flatcar\nversion: 1.1.0\n"] } });
    const error = caught(() => renderNodeConfigs(plan, INPUTS));
    expect(error.code).toBe("env-snippet-invalid");
    expect(error.message).toContain("Ignition 3.4.0");
  });

  it.each([
    ["a bad sha256", { k3sBinary: { url: "https://x/k3s", sha256: "XYZ" } }],
    ["a key with a newline", { sshPublicKeys: [`${KEY}\nssh-ed25519 AAAA injected`] }],
    ["a token with a quote", { k3sToken: 'abc"defghijklmnopqrstuvwxyz' }],
    ["extra files for an unknown node", { extraFiles: new Map([["nope", []]]) }],
    [
      "a relative extra file path",
      { extraFiles: new Map([["t-server-1", [{ path: "etc/x", mode: 0o600, contents: "" }]]]) },
    ],
  ] as const)("refuses %s as a bug in the caller", (_name, override) => {
    const error = caught(() => renderNodeConfigs(planOf(), { ...INPUTS, ...override } as NodeConfigInputs));
    expect(error.code).toBe("internal");
  });
});
