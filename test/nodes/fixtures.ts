import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { gunzipSync } from "node:zlib";
import { type LoadedEnvironment, loadEnvironment } from "../../src/environment/index.js";
import { type NodeConfigInputs, type RenderedNodeConfig, renderNodeConfigs } from "../../src/nodes/index.js";
import { type ClusterPlan, planLoadedEnvironment } from "../../src/plan/index.js";
import { rebootFiles } from "../../src/reboots/index.js";
import { registrationFiles } from "../../src/registration/index.js";
import { generateK3sToken, generateSshKeyPair } from "../../src/secrets/index.js";
import { startChildServer } from "../support/child-server.js";
import { testNodePasswords } from "../support/node-passwords.js";

export const REPO_ROOT = resolve(import.meta.dirname, "..", "..");

/**
 * A stand-in for the k3s release download: a child process serving fixed bytes on 127.0.0.1
 * (a child, because the real Ignition runs synchronously from the test). The bytes are random
 * per run, so a test can only pass if Ignition wrote exactly what was served.
 */
export interface ArtifactServer {
  readonly url: string;
  readonly bytes: Buffer;
  readonly sha256: string;
  close(): void;
}

const SERVER = `
const http = require("node:http");
const body = Buffer.from(process.argv[1], "base64");
const server = http.createServer((request, response) => {
  if (request.url !== "/k3s") { response.writeHead(404); response.end(); return; }
  response.writeHead(200, { "content-type": "application/octet-stream", "content-length": body.length });
  response.end(body);
});
server.listen(0, "127.0.0.1", () => console.log(server.address().port));
`;

export async function startArtifactServer(): Promise<ArtifactServer> {
  const bytes = Buffer.concat([Buffer.from("#!/bin/sh\necho fake k3s\n"), randomBytes(4096)]);
  const { port, close } = await startChildServer(SERVER, [bytes.toString("base64")]);
  return {
    url: `http://127.0.0.1:${port}/k3s`,
    bytes,
    sha256: createHash("sha256").update(bytes).digest("hex"),
    close,
  };
}

/** Writes an environment file into a fresh directory and returns its path. */
export function writeEnvironment(
  name: string,
  text: string,
  extraFiles: Record<string, string> = {},
): string {
  const dir = mkdtempSync(join(tmpdir(), "homelab-env-"));
  for (const [path, contents] of Object.entries(extraFiles)) {
    mkdirSync(join(dir, path, ".."), { recursive: true });
    writeFileSync(join(dir, path), contents);
  }
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

export interface RenderedEnvironment {
  readonly loaded: LoadedEnvironment;
  readonly plan: ClusterPlan;
  readonly inputs: NodeConfigInputs;
  readonly configs: RenderedNodeConfig[];
  readonly homelabKey: string;
}

/** Loads, plans and renders an environment (by name from the repository, or a path). */
export async function renderEnvironment(
  nameOrPath: string,
  k3sBinary: { url: string; sha256: string },
  overrides: Partial<NodeConfigInputs> = {},
): Promise<RenderedEnvironment> {
  const loaded = await loadEnvironment(nameOrPath, { cwd: REPO_ROOT, home: "/nonexistent-home" });
  const plan = await planLoadedEnvironment(loaded);
  const homelabKey = generateSshKeyPair(`homelab@${loaded.environment.name}`).publicKey.trim();
  const inputs: NodeConfigInputs = {
    k3sToken: generateK3sToken(),
    sshPublicKeys: [homelabKey, ...loaded.environment.ssh.authorizedKeys],
    k3sBinary,
    nodePasswords: testNodePasswords(plan),
    // As render composes them: kube-vip and kured, identical on every server.
    serverFiles: [...registrationFiles(plan), ...rebootFiles(plan)],
    ...overrides,
  };
  return { loaded, plan, inputs, configs: renderNodeConfigs(plan, inputs), homelabKey };
}

/** The decoded contents of a file in a compiled Ignition config (data URLs only). */
export function ignitionFileContents(ignition: string, path: string): string | undefined {
  const config = JSON.parse(ignition) as {
    storage?: { files?: { path: string; contents?: { source?: string; compression?: string } }[] };
  };
  const file = config.storage?.files?.find((f) => f.path === path);
  const source = file?.contents?.source;
  if (!source?.startsWith("data:")) return undefined;
  const comma = source.indexOf(",");
  const meta = source.slice(5, comma);
  const data = source.slice(comma + 1);
  const bytes = meta.endsWith(";base64")
    ? Buffer.from(data, "base64")
    : Buffer.from(decodeURIComponent(data), "utf8");
  if (file?.contents?.compression === "gzip") {
    return gunzipSync(bytes).toString("utf8");
  }
  return bytes.toString("utf8");
}
