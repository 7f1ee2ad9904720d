import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { formatStatusTable } from "../../src/cli/commands/gitops/status.js";
import { objectStatus, readFluxStatus } from "../../src/gitops/status.js";

/**
 * readFluxStatus drives the real @kubernetes/client-node against a stand-in for the Kubernetes
 * API on 127.0.0.1 (no cluster can run here): it answers the list requests Flux's kinds need
 * with canned objects, errors, or silence.
 */

type Handler = (path: string) => { status: number; body?: unknown } | "hang";

let server: Server | undefined;
afterEach(async () => {
  const running = server;
  server = undefined;
  if (running === undefined) return;
  running.closeAllConnections();
  await new Promise((resolve) => running.close(resolve));
});

async function standIn(handler: Handler): Promise<string> {
  server = createServer((request, response) => {
    const answer = handler(request.url?.split("?")[0] ?? "");
    if (answer === "hang") return;
    response.writeHead(answer.status, { "content-type": "application/json" });
    response.end(JSON.stringify(answer.body ?? { kind: "Status", code: answer.status }));
  });
  await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
  return kubeconfig(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
}

function kubeconfig(serverUrl: string): string {
  const file = join(mkdtempSync(join(tmpdir(), "gitops-kube-")), "homelab-development.yaml");
  writeFileSync(
    file,
    [
      "apiVersion: v1",
      "kind: Config",
      // client-node talks plain HTTP only with TLS verification explicitly off (a stand-in has no TLS).
      `clusters: [{name: homelab, cluster: {server: '${serverUrl}', insecure-skip-tls-verify: true}}]`,
      "users: [{name: admin, user: {token: test-token}}]",
      "contexts: [{name: homelab, context: {cluster: homelab, user: admin}}]",
      "current-context: homelab",
      "",
    ].join("\n"),
  );
  return file;
}

const ready = (status: string, reason: string, message = "") => ({
  conditions: [{ type: "Ready", status, reason, message, lastTransitionTime: "2026-11-27T00:00:00Z" }],
});

const LISTS: Record<string, unknown[]> = {
  "/apis/source.toolkit.fluxcd.io/v1/gitrepositories": [
    {
      metadata: { name: "flux-system", namespace: "flux-system", generation: 1 },
      spec: {},
      status: {
        observedGeneration: 1,
        artifact: { revision: "main@sha1:0123abc" },
        ...ready("True", "Succeeded", "stored artifact"),
      },
    },
  ],
  "/apis/source.toolkit.fluxcd.io/v1/helmrepositories": [
    {
      metadata: { name: "traefik", namespace: "traefik", generation: 1 },
      spec: {},
      status: { observedGeneration: 1, ...ready("True", "Succeeded") },
    },
  ],
  "/apis/kustomize.toolkit.fluxcd.io/v1/kustomizations": [
    {
      metadata: { name: "apps", namespace: "flux-system", generation: 2 },
      spec: {},
      status: {
        observedGeneration: 2,
        ...ready("False", "DependencyNotReady", "dependency 'flux-system/infra-configs' is not ready"),
      },
    },
    {
      metadata: { name: "flux-system", namespace: "flux-system", generation: 3 },
      spec: { suspend: true },
      status: {
        observedGeneration: 3,
        lastAppliedRevision: "main@sha1:0123abc",
        ...ready("True", "ReconciliationSucceeded"),
      },
    },
  ],
  "/apis/helm.toolkit.fluxcd.io/v2/helmreleases": [
    {
      metadata: { name: "traefik", namespace: "traefik", generation: 5 },
      spec: {},
      status: {
        observedGeneration: 4,
        lastAttemptedRevision: "41.5.0",
        ...ready("True", "UpgradeSucceeded"),
      },
    },
  ],
};

describe("readFluxStatus", () => {
  it("reports every Flux object with its Ready condition, in kind order", async () => {
    const path = await standIn((url) => {
      const items = LISTS[url];
      return items === undefined ? { status: 404 } : { status: 200, body: { kind: "List", items } };
    });
    const status = await readFluxStatus({ kubeconfigPath: path, timeoutMs: 2000 });
    expect(status.state).toBe("reported");
    if (status.state !== "reported") return;
    expect(status.objects.map((o) => [o.kind, `${o.namespace}/${o.name}`, o.ready, o.reason])).toEqual([
      ["GitRepository", "flux-system/flux-system", "True", "Succeeded"],
      ["HelmRepository", "traefik/traefik", "True", "Succeeded"],
      ["Kustomization", "flux-system/apps", "False", "DependencyNotReady"],
      ["Kustomization", "flux-system/flux-system", "True", "ReconciliationSucceeded"],
      ["HelmRelease", "traefik/traefik", "Unknown", "Progressing"],
    ]);
    expect(status.objects[0]?.revision).toBe("main@sha1:0123abc");
    expect(status.objects[3]?.suspended).toBe(true);
    const table = formatStatusTable(status.objects);
    expect(table.split("\n")[0]).toMatch(/^KIND\s+NAME\s+READY\s+REVISION\s+MESSAGE$/);
    expect(table).toContain("True (suspended)");
    expect(table).toContain("DependencyNotReady: dependency 'flux-system/infra-configs' is not ready");
  });

  it("says not-installed when the API has no Flux CRDs", async () => {
    const path = await standIn(() => ({ status: 404 }));
    expect(await readFluxStatus({ kubeconfigPath: path, timeoutMs: 2000 })).toEqual({
      state: "not-installed",
    });
  });

  it("says unreachable when refused credentials", async () => {
    const path = await standIn(() => ({ status: 401 }));
    const status = await readFluxStatus({ kubeconfigPath: path, timeoutMs: 2000 });
    expect(status).toEqual({
      state: "unreachable",
      reason: expect.stringMatching(/credentials \(HTTP 401\)/),
    });
  });

  it("says unreachable when nothing listens", async () => {
    await standIn(() => ({ status: 404 }));
    const running = server;
    server = undefined;
    const port = (running?.address() as AddressInfo | undefined)?.port;
    await new Promise((resolve) => running?.close(resolve));
    const status = await readFluxStatus({
      kubeconfigPath: kubeconfig(`http://127.0.0.1:${port}`),
      timeoutMs: 2000,
    });
    expect(status).toEqual({ state: "unreachable", reason: expect.stringMatching(/ECONNREFUSED/) });
  });

  it("gives up on an API that does not answer, within the timeout", async () => {
    const path = await standIn(() => "hang");
    const started = performance.now();
    const status = await readFluxStatus({ kubeconfigPath: path, timeoutMs: 300 });
    expect(status).toEqual({ state: "unreachable", reason: "the API did not answer in time" });
    expect(performance.now() - started).toBeLessThan(3000);
  });

  it("says unreachable for a missing kubeconfig", async () => {
    const status = await readFluxStatus({ kubeconfigPath: join(tmpdir(), "does-not-exist", "config.yaml") });
    expect(status.state).toBe("unreachable");
  });
});

describe("objectStatus", () => {
  it("treats objects without a Ready condition as not reconciled yet", () => {
    expect(objectStatus("Kustomization", { metadata: { name: "a", namespace: "b" } })).toMatchObject({
      ready: "Unknown",
      reason: "NotReconciled",
    });
  });

  it("treats OCI Helm repositories (never reconciled) as ready", () => {
    expect(
      objectStatus("HelmRepository", { metadata: { name: "a", namespace: "b" }, spec: { type: "oci" } })
        .ready,
    ).toBe("True");
  });
});
