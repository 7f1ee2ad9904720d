import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { generateSshKeyPair } from "../../src/secrets/index.js";

/**
 * The environment error messages a new user met (issue 11), through the built CLI: each case
 * checks the exit status, the code, the message text and where it points.
 */
const repository = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const bin = join(repository, "bin", "homelab.js");
const scratch = mkdtempSync(join(tmpdir(), "homelab-messages-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
if (!existsSync(join(repository, "dist", "cli", "main.js")))
  throw new Error("dist/ is missing: run `npm run build` (npm test does it) before these tests");

let counter = 0;
function project(files: Record<string, string>): string {
  const dir = join(scratch, `p${++counter}`);
  for (const [path, contents] of Object.entries(files)) {
    mkdirSync(join(dir, path, ".."), { recursive: true });
    writeFileSync(join(dir, path), contents);
  }
  return dir;
}

interface ErrorEvent {
  readonly type: "error";
  readonly code: string;
  readonly message: string;
  readonly where?: { file?: string; line?: number; column?: number; path?: string };
  readonly fix?: string;
  readonly details: { message: string; where?: { line?: number; path?: string } }[];
  readonly excerpt?: string;
}

function renderError(
  files: Record<string, string>,
  environment = "lab",
): { status: number | null; error: ErrorEvent; stderr: string } {
  const cwd = project(files);
  const env = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: join(cwd, "home"),
    HOMELAB_STATE_DIR: join(cwd, "state"),
    HOMELAB_CACHE_DIR: join(cwd, "cache"),
    NO_COLOR: "1",
  };
  const json = spawnSync(process.execPath, [bin, "render", environment, "--json"], {
    cwd,
    encoding: "utf8",
    env,
  });
  const human = spawnSync(process.execPath, [bin, "render", environment], { cwd, encoding: "utf8", env });
  const events = json.stdout
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as { type: string });
  const error = events.find((e): e is ErrorEvent => e.type === "error");
  if (!error) throw new Error(`no error event in ${json.stdout}`);
  expect(human.status).toBe(json.status);
  return { status: json.status, error, stderr: human.stderr };
}

const env = (body: string) => `export default {\n  name: "lab",\n  prefix: "lab",\n${body}};\n`;
const NETWORK = '  network: { cidr: "10.77.0.0/24" },\n';
const key = generateSshKeyPair("me@laptop").publicKey.trim();
const rsaBlob = Buffer.concat([
  Buffer.from([0, 0, 0, 7]),
  Buffer.from("ssh-rsa"),
  Buffer.from([0, 0, 0, 1, 1, 0, 0, 0, 1, 7]),
]).toString("base64");

describe("environment messages say what was given and what to do", () => {
  it('vcpu: "2" says a string was given', () => {
    const { status, error } = renderError({
      "environments/lab.ts": env(`${NETWORK}  servers: { vcpu: "2" },\n`),
    });
    expect(status).toBe(1);
    expect(error.code).toBe("env-invalid");
    expect(error.message).toBe('expected an integer ≥ 1, got the string "2"');
    expect(error.where).toMatchObject({ line: 5, path: "servers.vcpu" });
  });

  it.each([
    [
      'prefix: "Lab_"',
      '  network: { cidr: "10.77.0.0/24" },\n  description: 7,\n',
      /expected a string, got the number 7/,
    ],
    [
      "a DNS label",
      '  network: { cidr: "10.77.0.0/24", name: "Not_A_Label" },\n',
      /got the string "Not_A_Label"/,
    ],
    [
      "a negative count",
      `${NETWORK}  agents: { count: -1 },\n`,
      /expected an integer ≥ 0, got the number -1/,
    ],
    ["a list for an object", "  network: [],\n", /expected an object, got an empty list/],
  ])("every type error says what was given (%s)", (_name, body, message) => {
    const { status, error } = renderError({ "environments/lab.ts": env(body) });
    expect(status).toBe(1);
    expect(error.message).toMatch(message);
  });

  it("no default export is one located error naming the exports found", () => {
    const { status, error } = renderError({
      "environments/lab.ts":
        'import type { X } from "./x.js";\n\nexport const env = { name: "lab", prefix: "lab", network: { cidr: "10.77.0.0/24" } };\nexport const other = 1;\n',
    });
    expect(status).toBe(1);
    expect(error.code).toBe("env-invalid");
    expect(error.message).toBe(
      "has no default export (it exports `env`, `other`); homelab reads the default export",
    );
    expect(error.details).toEqual([]);
    expect(error.where).toMatchObject({ file: "environments/lab.ts", line: 3, column: 1 });
  });

  it("a mistyped key type is an unknown key type with a suggestion, not a missing file", () => {
    const mistyped = key.replace("ssh-ed25519", "ssh-ed2519");
    const { status, error } = renderError({
      "environments/lab.ts": env(`${NETWORK}  ssh: { authorizedKeys: [${JSON.stringify(mistyped)}] },\n`),
    });
    expect(status).toBe(1);
    expect(error.code).toBe("env-invalid");
    expect(error.message).toBe('unknown SSH key type "ssh-ed2519" (did you mean "ssh-ed25519"?)');
    expect(error.where).toMatchObject({ line: 5, path: "ssh.authorizedKeys.0" });
  });

  it.each([
    ["a blob of another type", `ssh-ed25519 ${rsaBlob} me`, /holds an? ssh-rsa key, not ssh-ed25519/],
    ["base64 that is not a key", "ssh-ed25519 AAAAaGVsbG8gd29ybGQ= me", /not an SSH public key/],
    ["a truncated key", `${key.split(" ").slice(0, 2).join(" ").slice(0, 40)} me`, /not an SSH public key/],
  ])("an SSH key line whose data is %s is refused", (_name, line, message) => {
    const { status, error } = renderError({
      "environments/lab.ts": env(`${NETWORK}  ssh: { authorizedKeys: [${JSON.stringify(line)}] },\n`),
    });
    expect(status).toBe(1);
    expect(error.code).toBe("env-invalid");
    expect(error.message).toMatch(message);
    expect(error.where?.path).toBe("ssh.authorizedKeys.0");
  });

  it("the same check applies to the lines of a .pub file", () => {
    const { status, error } = renderError({
      "environments/lab.ts": env(`${NETWORK}  ssh: { authorizedKeys: ["keys/me.pub"] },\n`),
      "environments/keys/me.pub": `ssh-ed25519 ${rsaBlob} me\n`,
    });
    expect(status).toBe(1);
    expect(error.message).toMatch(/keys\/me\.pub line 1: .*ssh-rsa/);
  });

  it("the network-collision fix suggests a range no environment uses", () => {
    const sibling = (name: string, octet: number) =>
      `export default { name: "${name}", prefix: "${name}", network: { cidr: "192.168.${octet}.0/24" } };\n`;
    const { status, error } = renderError({
      "environments/lab.ts": env('  network: { cidr: "192.168.122.0/24" },\n'),
      "environments/development.ts": sibling("development", 140),
      "environments/staging.ts": sibling("staging", 141),
      "environments/production.ts": sibling("production", 142),
      "environments/extra.ts": sibling("extra", 143),
    });
    expect(status).toBe(1);
    expect(error.code).toBe("env-network-collision");
    expect(error.fix).toContain("192.168.144.0/24");
    expect(error.fix).not.toMatch(/192\.168\.14[0-3]\./);
  });

  it("an override of a node that does not exist names the closest node, without repeating the path", () => {
    const { status, error } = renderError({
      "environments/lab.ts": env(
        `${NETWORK}  agents: { count: 2 },\n  nodes: { "lab-agent-l": { vcpu: 4 } },\n`,
      ),
    });
    expect(status).toBe(1);
    expect(error.code).toBe("env-invalid");
    expect(error.message).toBe(
      '"lab-agent-l" is not a node of this environment (did you mean "lab-agent-1"?)',
    );
    expect(error.where).toMatchObject({ line: 6, path: "nodes.lab-agent-l" });
  });

  it("a problem listed among others carries its code once", () => {
    const { error, stderr } = renderError({
      "environments/lab.ts": env(
        '  network: { cidr: "192.168.122.0/24" },\n  nodes: { "lab-agent-9": {} },\n',
      ),
    });
    expect(error.details.length).toBe(2);
    for (const detail of error.details) expect(detail.message).toMatch(/^\[env-[a-z-]+\] [^[]/);
    expect(stderr).not.toContain("] [env-");
  });

  it.each([
    [
      "a missing comma",
      'export default {\n  name: "lab"\n  prefix: "lab",\n};\n',
      { line: 3, column: 3 },
      "> 3 |   prefix",
      /',' expected/,
    ],
    [
      "an unterminated string",
      'export default {\n  name: "lab,\n  prefix: "lab",\n};\n',
      { line: 2, column: 14 },
      '> 2 |   name: "lab,',
      /Unterminated string literal/,
    ],
  ])("a syntax error (%s) points at its position with a code frame", (_name, text, where, frame, message) => {
    const { status, error, stderr } = renderError({ "environments/lab.ts": text });
    expect(status).toBe(1);
    expect(error.code).toBe("env-load-failed");
    expect(error.message).toMatch(message);
    expect(error.where).toMatchObject(where);
    expect(error.excerpt).toContain(frame);
    expect(stderr).toContain(frame);
  });

  it("an unclosed brace also names the brace that is not closed", () => {
    const { error } = renderError({
      "environments/lab.ts":
        'export default {\n  name: "lab",\n  servers: { count: 1,\n  prefix: "lab",\n};\n',
    });
    expect(error.code).toBe("env-load-failed");
    expect(error.details.map((d) => d.message)).toContain(
      "The parser expected to find a '}' to match the '{' token here.",
    );
  });

  it("hundreds of problems print the first 50 and how many more, not all of them", () => {
    const labels = JSON.stringify(Array.from({ length: 300 }, (_, i) => `Bad Label ${i}`));
    const { status, error, stderr } = renderError({
      "environments/lab.ts": env(`${NETWORK}  servers: { labels: ${labels} },\n`),
    });
    expect(status).toBe(1);
    expect(error.details).toHaveLength(50);
    expect(stderr).toContain("… and 250 more");
    expect(stderr.length).toBeLessThan(20_000);
  });
});
