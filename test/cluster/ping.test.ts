/** Waiting for k3s's /ping, against a local HTTPS server with a self-signed certificate. */
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { afterEach, expect, it } from "vitest";
import { pingK3s, realWaitClock, waitForK3sServer } from "../../src/cluster/index.js";
import type { HomelabError } from "../../src/errors/index.js";
import { describeWithTools } from "../support/real-tools.js";
import { type SelfSignedCertificate, selfSignedCertificate } from "./tls.js";

// Made when the first server starts, not when the tests are collected (openssl may be missing).
let certificate: SelfSignedCertificate | undefined;
let server: Server | undefined;

async function serve(handler: (path: string) => { status: number; body: string } | "hang"): Promise<string> {
  certificate ??= selfSignedCertificate();
  server = createServer(certificate, (req, res) => {
    const answer = handler(req.url ?? "/");
    if (answer === "hang") return;
    res.writeHead(answer.status, { "content-type": "text/plain" });
    res.end(answer.body);
  });
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  return `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
});

const clock = realWaitClock(() => performance.now());

describeWithTools(["openssl"], "pingK3s", () => {
  it("accepts 200 pong over TLS with a certificate it cannot verify yet", async () => {
    const url = await serve((path) =>
      path === "/ping" ? { status: 200, body: "pong" } : { status: 404, body: "" },
    );
    expect(await pingK3s(url)).toEqual({ done: true, value: undefined });
  });

  const notYet = [
    {
      name: "a 503 while the apiserver starts",
      answer: { status: 503, body: "starting" },
      problem: /answered 503 "starting"/,
    },
    {
      name: "a 200 that is not pong",
      answer: { status: 200, body: "hello" },
      problem: /answered 200 "hello"/,
    },
  ];
  for (const testCase of notYet) {
    it(`is not done on ${testCase.name}`, async () => {
      const url = await serve(() => testCase.answer);
      const outcome = await pingK3s(url);
      expect(outcome.done).toBe(false);
      if (!outcome.done) expect(outcome.problem).toMatch(testCase.problem);
    });
  }

  it("reports a refused connection and a server that never answers", async () => {
    const refused = await pingK3s("https://127.0.0.1:1");
    expect(refused).toEqual({ done: false, problem: "127.0.0.1:1: ECONNREFUSED" });
    const url = await serve(() => "hang");
    const hung = await pingK3s(url, 200);
    expect(hung.done).toBe(false);
    if (!hung.done) expect(hung.problem).toMatch(/^127\.0\.0\.1:\d+: no answer within 200 ms$/);
  });
});

describeWithTools(["openssl"], "waitForK3sServer", () => {
  it("retries until the server answers, reporting each attempt", async () => {
    let calls = 0;
    const url = await serve(() => (++calls < 3 ? { status: 503, body: "" } : { status: 200, body: "pong" }));
    const updates: string[] = [];
    const result = await waitForK3sServer({
      serverUrl: url,
      nodeName: "k3s-dev-server-1",
      timeoutMs: 10_000,
      intervalMs: 20,
      clock,
      onProgress: (text) => updates.push(text),
    });
    expect(result.attempts).toBe(3);
    expect(updates).toHaveLength(2);
    expect(updates[0]).toMatch(/^attempt 1, 0s: .*answered 503/);
  });

  it("gives up after the timeout with k3s-server-timeout, the attempts and the last problem", async () => {
    const failure = (await waitForK3sServer({
      serverUrl: "https://127.0.0.1:1",
      nodeName: "k3s-dev-server-1",
      timeoutMs: 300,
      intervalMs: 50,
      clock,
    }).catch((e: unknown) => e)) as HomelabError;
    expect(failure.code).toBe("k3s-server-timeout");
    expect(failure.message).toMatch(
      /k3s-dev-server-1 did not answer https:\/\/127\.0\.0\.1:1\/ping within 0s \(\d+ attempts; last: 127\.0\.0\.1:1: ECONNREFUSED\)/,
    );
    expect(failure.fix).toContain("virsh console k3s-dev-server-1");
  });
});
