import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { HomelabError } from "../../src/errors/index.js";
import {
  BOOTSTRAP_PATHS,
  type BootstrapFile,
  DEFAULT_FLUX_VERSION,
  FLUX_RELEASES,
  gitopsBootstrapFiles,
  type InlineBootstrapFile,
  K3S_MANIFESTS_DIR,
} from "../../src/gitops/index.js";
import { deployKey, environmentWith, planOf } from "./fixtures.js";

const GITHUB_SSH = "ssh://git@github.com/example/homelab.git";

function files(
  gitops: Parameters<typeof environmentWith>[0],
  extra: { fluxVersion?: string } = {},
): BootstrapFile[] {
  const environment = environmentWith(gitops);
  return gitopsBootstrapFiles({
    environment,
    plan: planOf(environment),
    deployKey,
    environmentFile: "environments/development.ts",
    ...extra,
  });
}

function inline(list: BootstrapFile[], path: string): InlineBootstrapFile {
  const file = list.find((f) => f.path === path);
  if (file === undefined || !("contents" in file)) throw new Error(`no inline file ${path}`);
  return file;
}

function objects(file: InlineBootstrapFile): Record<string, unknown>[] {
  return parseAllDocuments(file.contents).map((document) => document.toJS() as Record<string, unknown>);
}

function gitopsError(run: () => unknown): HomelabError {
  try {
    run();
  } catch (error) {
    if (error instanceof HomelabError) return error;
    throw error;
  }
  throw new Error("expected a HomelabError");
}

describe("gitopsBootstrapFiles", () => {
  it("renders nothing Flux-related without a gitops section", () => {
    const environment = environmentWith(undefined);
    expect(gitopsBootstrapFiles({ environment, plan: planOf(environment) })).toEqual([]);
  });

  it("installs the pinned Flux release, verified by SHA-256, into k3s's manifests directory", () => {
    const list = files({ url: GITHUB_SSH });
    const install = list.find((f) => f.path === BOOTSTRAP_PATHS.fluxInstall);
    const release = FLUX_RELEASES[DEFAULT_FLUX_VERSION];
    expect(install && "source" in install ? install.source : undefined).toEqual({
      url: `https://github.com/fluxcd/flux2/releases/download/${DEFAULT_FLUX_VERSION}/install.yaml`,
      sha256: release?.installManifest.sha256,
    });
    expect(release?.installManifest.sha256).toMatch(/^[0-9a-f]{64}$/);
    for (const file of list) {
      expect(file.path.startsWith(`${K3S_MANIFESTS_DIR}/`)).toBe(true);
      expect(file.mode).toBe(0o600);
    }
    // Flux first, then its Secret, then what needs both: the order k3s should apply them in.
    expect(list.map((f) => f.path)).toEqual([
      BOOTSTRAP_PATHS.fluxInstall,
      BOOTSTRAP_PATHS.deployKey,
      BOOTSTRAP_PATHS.sync,
    ]);
  });

  it("syncs kubernetes/clusters/<env> of the repository with Flux's current APIs", () => {
    const [repository, kustomization] = objects(inline(files({ url: GITHUB_SSH }), BOOTSTRAP_PATHS.sync));
    expect(repository).toEqual({
      apiVersion: "source.toolkit.fluxcd.io/v1",
      kind: "GitRepository",
      metadata: { name: "flux-system", namespace: "flux-system" },
      spec: { interval: "1m", ref: { branch: "main" }, url: GITHUB_SSH, secretRef: { name: "flux-system" } },
    });
    expect(kustomization).toMatchObject({
      apiVersion: "kustomize.toolkit.fluxcd.io/v1",
      kind: "Kustomization",
      metadata: { name: "flux-system", namespace: "flux-system" },
      spec: {
        path: "./kubernetes/clusters/development",
        prune: true,
        sourceRef: { kind: "GitRepository", name: "flux-system" },
      },
    });
  });

  it.each([
    ["kubernetes/clusters/lab", "./kubernetes/clusters/lab"],
    ["./clusters/lab/", "./clusters/lab"],
    ["/deploy//lab", "./deploy/lab"],
  ])("normalises path %s to %s", (path, expected) => {
    const [, kustomization] = objects(inline(files({ url: GITHUB_SSH, path }), BOOTSTRAP_PATHS.sync));
    expect((kustomization?.spec as { path?: string } | undefined)?.path).toBe(expected);
  });

  it("puts the deploy key and GitHub's published host keys into the flux-system Secret", () => {
    const [secret] = objects(inline(files({ url: GITHUB_SSH }), BOOTSTRAP_PATHS.deployKey));
    expect(secret).toMatchObject({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "flux-system", namespace: "flux-system" },
    });
    const data = (secret as { stringData: Record<string, string> }).stringData;
    expect(Object.keys(data).sort()).toEqual(["identity", "identity.pub", "known_hosts"]);
    expect(data.identity).toBe(deployKey.privateKey);
    expect(data["identity.pub"]).toBe(deployKey.publicKey);
    expect(
      data.known_hosts
        ?.split("\n")
        .filter(Boolean)
        .map((line) => line.split(" ").slice(0, 2).join(" ")),
    ).toEqual(["github.com ssh-ed25519", "github.com ecdsa-sha2-nistp256", "github.com ssh-rsa"]);
  });

  it("needs no Secret for a public HTTPS repository", () => {
    const list = files({ url: "https://github.com/example/homelab.git", branch: "release", interval: "5m" });
    expect(list.map((f) => f.path)).toEqual([BOOTSTRAP_PATHS.fluxInstall, BOOTSTRAP_PATHS.sync]);
    const [repository] = objects(inline(list, BOOTSTRAP_PATHS.sync));
    expect(repository?.spec).toEqual({
      interval: "5m",
      ref: { branch: "release" },
      url: "https://github.com/example/homelab.git",
    });
  });

  it("is deterministic", () => {
    expect(files({ url: GITHUB_SSH })).toEqual(files({ url: GITHUB_SSH }));
  });

  it.each([
    ["ssh://github.com/example/homelab.git", "gitops.url", /names no SSH user/],
    ["https://user:token@github.com/example/homelab.git", "gitops.url", /contains credentials/],
    ["ssh://git@github.com/", "gitops.url", /names no repository path/],
    [
      "ssh://git@git.example.org/homelab.git",
      "gitops.knownHosts",
      /knows no SSH host key for git\.example\.org/,
    ],
    ["ssh://git@github.com:2222/example/homelab.git", "gitops.knownHosts", /\[github\.com\]:2222/],
  ])("refuses %s with gitops-invalid at %s", (url, path, message) => {
    const error = gitopsError(() => files({ url }));
    expect(error.code).toBe("gitops-invalid");
    expect(error.where).toEqual({ file: "environments/development.ts", path });
    expect(error.message).toMatch(message);
    expect(error.fix).toBeTruthy();
  });

  it("lists every problem at its field", () => {
    const error = gitopsError(() =>
      files({ url: "ssh://git.example.org/x.git", branch: "bad branch", path: "../elsewhere" }),
    );
    expect(error.code).toBe("gitops-invalid");
    expect(error.details.map((d) => d.where?.path)).toEqual(["gitops.url", "gitops.branch", "gitops.path"]);
  });

  it("refuses a Flux version it has no verified manifest for", () => {
    const error = gitopsError(() => files({ url: GITHUB_SSH }, { fluxVersion: "v2.0.0" }));
    expect(error.code).toBe("gitops-invalid");
    expect(error.where).toEqual({ file: "homelab.lock.json", path: "environments.development.flux.version" });
  });

  it("insists on a deploy key for SSH repositories", () => {
    const environment = environmentWith({ url: GITHUB_SSH });
    const error = gitopsError(() => gitopsBootstrapFiles({ environment, plan: planOf(environment) }));
    expect(error.code).toBe("internal");
  });
});
