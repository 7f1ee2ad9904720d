import { mkdirSync, mkdtempSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import development from "../../environments/development.js";
import { BOOTSTRAP_PATHS, DEFAULT_FLUX_VERSION, FLUX_RELEASES } from "../../src/gitops/index.js";
import { type PreparedRender, prepareRender } from "../../src/render/index.js";

/**
 * Render as `homelab render` runs it (environment file, plan, secrets, node configs), for an
 * environment with a repository and one without: the bootstrap is in the first server's
 * Ignition only, with Flux's manifest pinned by URL and SHA-256; the deploy key is created 0600
 * in the state directory and appears nowhere but the first server's Ignition and Butane.
 */

let project: string;

function writeEnvironment(name: string, fields: Record<string, unknown>): void {
  const environment = { ...development, name, prefix: `rg-${name}`, ...fields };
  writeFileSync(join(project, "environments", `${name}.json`), `${JSON.stringify(environment, null, 2)}\n`);
}

function prepare(name: string): Promise<PreparedRender> {
  return prepareRender({
    environment: name,
    cwd: project,
    home: join(project, "home"),
    stateRoot: join(project, "state"),
    cacheRoot: join(project, "cache"),
  });
}

interface IgnitionFile {
  readonly path: string;
  readonly mode?: number;
  readonly contents?: { readonly source?: string; readonly verification?: { readonly hash?: string } };
}

function ignitionFiles(render: PreparedRender, node: string): IgnitionFile[] {
  const file = render.contents.find((f) => f.path === `ignition/${node}.ign`);
  if (file === undefined) throw new Error(`no Ignition for ${node}`);
  const config = JSON.parse(String(file.contents)) as { storage?: { files?: IgnitionFile[] } };
  return config.storage?.files ?? [];
}

beforeAll(() => {
  project = mkdtempSync(join(tmpdir(), "homelab-render-gitops-"));
  mkdirSync(join(project, "environments"));
  mkdirSync(join(project, "home"));
  writeEnvironment("flux", { gitops: { url: "ssh://git@github.com/example/homelab.git" } });
  // Another network: render refuses sibling environments that overlap.
  writeEnvironment("plain", { network: { mode: "nat", cidr: "192.168.143.0/24" } });
});

describe("render with a repository", () => {
  let render: PreparedRender;
  beforeAll(async () => {
    render = await prepare("flux");
  });

  it("puts the three bootstrap files into the first server's Ignition, 0600, Flux pinned by hash", () => {
    const files = ignitionFiles(render, "rg-flux-server-1");
    const bootstrap = files.filter((f) =>
      f.path.startsWith("/var/lib/rancher/k3s/server/manifests/homelab-flux"),
    );
    expect(bootstrap.map((f) => f.path).sort()).toEqual(Object.values(BOOTSTRAP_PATHS).sort());
    for (const file of bootstrap) expect(file.mode, file.path).toBe(0o600);
    const install = bootstrap.find((f) => f.path === BOOTSTRAP_PATHS.fluxInstall);
    const release = FLUX_RELEASES[DEFAULT_FLUX_VERSION];
    expect(install?.contents?.source).toBe(release?.installManifest.url);
    expect(install?.contents?.verification?.hash).toBe(`sha256-${release?.installManifest.sha256}`);
  });

  it("puts none of it into the agents' Ignition", () => {
    for (const node of ["rg-flux-agent-1", "rg-flux-agent-2"]) {
      expect(
        ignitionFiles(render, node).some((f) => f.path.includes("flux")),
        node,
      ).toBe(false);
    }
  });

  it("creates the deploy key 0600 in the state directory, and keeps it out of main.tf.json", () => {
    const key = join(project, "state", "flux", "gitops", "deploy_key");
    expect(statSync(key).mode & 0o777).toBe(0o600);
    const tf = render.contents.find((f) => f.path === "main.tf.json");
    expect(String(tf?.contents)).not.toMatch(/PRIVATE KEY/);
    for (const file of render.contents.filter(
      (f) => f.path.startsWith("ignition/") || f.path.startsWith("butane/"),
    )) {
      expect(file.mode, file.path).toBe(0o600);
    }
  });
});

describe("render without a repository", () => {
  it("renders nothing Flux-related and makes no deploy key", async () => {
    const render = await prepare("plain");
    for (const file of render.contents)
      expect(String(file.contents).toLowerCase(), file.path).not.toContain("flux");
    expect(() => statSync(join(project, "state", "plain", "gitops"))).toThrow();
  });
});
