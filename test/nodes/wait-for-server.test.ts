import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeWithTools, toolPath } from "../support/real-tools.js";
import { ignitionFileContents, renderEnvironment } from "./fixtures.js";

/**
 * The wait-for-server script, exactly as the rendered Ignition config embeds it (decoded from
 * the config of a joining node), run with sh against a real HTTPS server on 127.0.0.1 with a
 * self-signed certificate made by openssl — like the first k3s server, whose CA the joining
 * node does not know yet. The server refuses /ping a few times before it answers "pong".
 */

let script: string;
let joinEnv: string;
let certificate: { key: string; cert: string };

beforeAll(async () => {
  const rendered = await renderEnvironment("development", {
    url: "https://example.invalid/k3s",
    sha256: "0".repeat(64),
  });
  const agent = rendered.configs.find((c) => c.node.name === "k3s-dev-agent-1")!;
  script = ignitionFileContents(agent.ignition, "/opt/bin/k3s-wait-for-server") ?? "";
  joinEnv = ignitionFileContents(agent.ignition, "/etc/homelab/k3s-join.env") ?? "";
  const dir = mkdtempSync(join(tmpdir(), "homelab-wait-tls-"));
  const made = spawnSync(
    toolPath("openssl"),
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-days",
      "1",
      "-subj",
      "/CN=k3s-dev-server-1",
    ].concat([
      "-addext",
      "subjectAltName=IP:127.0.0.1",
      "-keyout",
      join(dir, "key.pem"),
      "-out",
      join(dir, "cert.pem"),
    ]),
    { encoding: "utf8" },
  );
  if (made.status !== 0) throw new Error(`openssl failed: ${made.stderr}`);
  certificate = {
    key: readFileSync(join(dir, "key.pem"), "utf8"),
    cert: readFileSync(join(dir, "cert.pem"), "utf8"),
  };
});

interface PingServer {
  readonly url: string;
  readonly requests: () => number;
  close(): Promise<void>;
}

/** HTTPS on 127.0.0.1: 503 for the first `failures` requests to /ping, then "pong". */
async function startPingServer(failures: number, answer = "pong"): Promise<PingServer> {
  let count = 0;
  const server: Server = createServer(certificate, (request, response) => {
    if (request.url !== "/ping") {
      response.writeHead(404).end();
      return;
    }
    count += 1;
    if (count <= failures) response.writeHead(503).end("starting");
    else response.writeHead(200, { "content-type": "text/plain" }).end(answer);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}/ping`,
    requests: () => count,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function runScript(
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string; ms: number }> {
  const dir = mkdtempSync(join(tmpdir(), "homelab-wait-"));
  const file = join(dir, "k3s-wait-for-server");
  writeFileSync(file, script, { mode: 0o755 });
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn("sh", [file], { env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
    });
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr, ms: performance.now() - started });
    });
  });
}

describeWithTools(["curl", "openssl"], "k3s-wait-for-server, the script the node configs embed", () => {
  let servers: PingServer[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
    servers = [];
  });

  it("is the script from butane-configs/, and joining nodes point it at the registration address", () => {
    expect(script).toBe(
      readFileSync(join(import.meta.dirname, "../../butane-configs/k3s-wait-for-server.sh"), "utf8"),
    );
    expect(joinEnv).toBe("K3S_JOIN_PING_URL=https://192.168.140.9:6443/ping\nWAIT_TIMEOUT=1800\n");
  });

  it("retries with a bounded, doubling delay until /ping answers pong, logging every try", async () => {
    const ping = await startPingServer(3);
    servers.push(ping);
    const run = await runScript({
      K3S_JOIN_PING_URL: ping.url,
      WAIT_INITIAL_DELAY: "1",
      WAIT_MAX_DELAY: "2",
    });
    expect(run.code).toBe(0);
    expect(ping.requests()).toBe(4);
    const lines = run.stdout.trim().split("\n");
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/attempt 1: .* not ready .*503.*; next try in 1s$/);
    expect(lines[1]).toMatch(/attempt 2: .* not ready .*; next try in 2s$/);
    expect(lines[2]).toMatch(/attempt 3: .* not ready .*; next try in 2s$/);
    expect(lines[3]).toMatch(/attempt 4: https:\/\/127\.0\.0\.1:\d+\/ping answered; starting k3s$/);
    // 1 + 2 + 2 seconds of waiting: the delay doubled once and then stayed at its bound.
    expect(run.ms).toBeGreaterThanOrEqual(5_000);
  }, 30_000);

  it("does not take any 200 for an answer: the body must be pong", async () => {
    const ping = await startPingServer(0, "<html>captive portal</html>");
    servers.push(ping);
    const run = await runScript({
      K3S_JOIN_PING_URL: ping.url,
      WAIT_INITIAL_DELAY: "1",
      WAIT_TIMEOUT: "2",
    });
    expect(run.code).toBe(1);
    expect(ping.requests()).toBeGreaterThanOrEqual(2);
    expect(run.stderr).toMatch(/did not answer within 2s \(\d+ attempts\); starting k3s anyway/);
  });

  it("gives up after WAIT_TIMEOUT when nothing listens, so that k3s starts and retries by itself", async () => {
    const ping = await startPingServer(0);
    const url = ping.url;
    await ping.close();
    const run = await runScript({ K3S_JOIN_PING_URL: url, WAIT_INITIAL_DELAY: "1", WAIT_TIMEOUT: "2" });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/attempt 1: .* not ready \(curl: \(7\)/);
    expect(run.stderr).toContain("starting k3s anyway");
  });

  it("returns at once on the first server, which has no URL to wait for", async () => {
    const run = await runScript({ K3S_JOIN_PING_URL: "" });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("nothing to wait for");
  });
});
