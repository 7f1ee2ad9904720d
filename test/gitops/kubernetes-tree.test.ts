import { readdirSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, expect, it } from "vitest";
import development from "../../environments/development.js";
import production from "../../environments/production.js";
import staging from "../../environments/staging.js";
import { EnvironmentSchema } from "../../src/environment/schema.js";
import { planCluster } from "../../src/plan/index.js";
import { withTools } from "../support/real-tools.js";
import { type KubeObject, kustomize, repositoryRoot } from "./kustomize.js";

/**
 * The kubernetes/ tree, built with the real `kubectl kustomize` for every environment and for
 * every path its Flux Kustomizations point at, then checked object by object.
 */

const ENVIRONMENTS = ["development", "staging", "production"] as const;
const kubectl = withTools(["kubectl"]);
const environmentFiles = { development, staging, production };

/** Flux kinds on the API versions Flux 2.9 serves (OCIRepository went v1 in Flux 2.6). */
const FLUX_API_VERSIONS: Record<string, string> = {
  GitRepository: "source.toolkit.fluxcd.io/v1",
  OCIRepository: "source.toolkit.fluxcd.io/v1",
  HelmRepository: "source.toolkit.fluxcd.io/v1",
  Bucket: "source.toolkit.fluxcd.io/v1",
  Kustomization: "kustomize.toolkit.fluxcd.io/v1",
  HelmRelease: "helm.toolkit.fluxcd.io/v2",
};
const SEMVER = /^\d+\.\d+\.\d+$/;

function fluxKustomizations(objects: readonly KubeObject[]): KubeObject[] {
  return objects.filter(
    (o) => o.kind === "Kustomization" && String(o.apiVersion).startsWith("kustomize.toolkit.fluxcd.io"),
  );
}

function targetPath(kustomization: KubeObject): string {
  return String(kustomization.spec?.path).replace(/^\.\//, "");
}

/** Every image reference in an object: containers, and `image` blocks of Helm values. */
function images(object: unknown, found: string[] = []): string[] {
  if (Array.isArray(object)) for (const item of object) images(item, found);
  else if (object !== null && typeof object === "object") {
    const record = object as Record<string, unknown>;
    if (typeof record.image === "string") found.push(record.image);
    for (const value of Object.values(record)) images(value, found);
  }
  return found;
}

function built(environment: (typeof ENVIRONMENTS)[number]) {
  const entry = kustomize(`kubernetes/clusters/${environment}`);
  const targets = fluxKustomizations(entry).map((k) => ({
    kustomization: k,
    objects: kustomize(targetPath(k)),
  }));
  return { entry, targets, all: [...entry, ...targets.flatMap((t) => t.objects)] };
}

kubectl.describeEach(ENVIRONMENTS, "kubernetes/clusters/%s", (environment) => {
  // Built when the tests run, not when they are collected (kubectl may be missing).
  let tree: ReturnType<typeof built>;
  beforeAll(() => {
    tree = built(environment);
  });

  it("builds, and every document has apiVersion, kind and metadata.name", () => {
    expect(tree.all.length).toBeGreaterThan(10);
    for (const object of tree.all) {
      expect(typeof object.apiVersion, JSON.stringify(object).slice(0, 200)).toBe("string");
      expect(typeof object.kind).toBe("string");
      expect(typeof object.metadata?.name).toBe("string");
    }
  });

  it("uses the current API versions of Flux's kinds", () => {
    const fluxObjects = tree.all.filter((o) => String(o.apiVersion).includes("toolkit.fluxcd.io"));
    expect(fluxObjects.length).toBeGreaterThan(0);
    for (const object of fluxObjects) {
      expect(FLUX_API_VERSIONS[String(object.kind)], `${object.kind} ${object.metadata?.name}`).toBe(
        object.apiVersion,
      );
    }
  });

  it("orders controllers → configs → apps with dependsOn, all pruned and health-checked", () => {
    const byName = new Map(fluxKustomizations(tree.entry).map((k) => [String(k.metadata?.name), k]));
    expect([...byName.keys()].sort()).toEqual(["apps", "infra-configs", "infra-controllers"]);
    const dependsOn = (name: string) =>
      ((byName.get(name)?.spec?.dependsOn as { name: string }[] | undefined) ?? []).map((d) => d.name);
    expect(dependsOn("infra-controllers")).toEqual([]);
    expect(dependsOn("infra-configs")).toEqual(["infra-controllers"]);
    expect(dependsOn("apps")).toEqual(["infra-configs"]);
    for (const kustomization of byName.values()) {
      const spec = kustomization.spec ?? {};
      expect(spec.prune, String(kustomization.metadata?.name)).toBe(true);
      expect(spec.wait === true || (Array.isArray(spec.healthChecks) && spec.healthChecks.length > 0)).toBe(
        true,
      );
      expect(spec.sourceRef).toEqual({ kind: "GitRepository", name: "flux-system" });
      expect(targetPath(kustomization)).toMatch(
        new RegExp(`^kubernetes/(infrastructure/(controllers|configs)|apps)/${environment}$`),
      );
    }
  });

  it("health checks name objects that the target path really creates", () => {
    for (const { kustomization, objects } of tree.targets) {
      const checks =
        (kustomization.spec?.healthChecks as
          | { kind: string; name: string; namespace: string }[]
          | undefined) ?? [];
      for (const check of checks) {
        const match = objects.find(
          (o) =>
            o.kind === check.kind &&
            o.metadata?.name === check.name &&
            o.metadata?.namespace === check.namespace,
        );
        expect(
          match,
          `${kustomization.metadata?.name}: ${check.kind} ${check.namespace}/${check.name}`,
        ).toBeDefined();
      }
    }
  });

  it("pins every chart to an exact version and every image to an explicit tag", () => {
    const releases = tree.all.filter((o) => o.kind === "HelmRelease");
    expect(releases.map((r) => r.metadata?.name).sort()).toEqual(["metallb", "traefik"]);
    for (const release of releases) {
      const chart = (
        release.spec?.chart as { spec?: { version?: unknown; sourceRef: { name: string } } } | undefined
      )?.spec;
      if (chart === undefined) throw new Error(`HelmRelease ${release.metadata?.name} has no chart.spec`);
      expect(String(chart.version), String(release.metadata?.name)).toMatch(SEMVER);
      const repository = tree.all.find(
        (o) =>
          o.kind === "HelmRepository" &&
          o.metadata?.name === chart.sourceRef.name &&
          o.metadata?.namespace === release.metadata?.namespace,
      );
      expect(repository?.spec?.url, `HelmRepository of ${release.metadata?.name}`).toMatch(/^https:\/\//);
      const values = release.spec?.values as Record<string, unknown>;
      const imageTags = JSON.stringify(values).match(/"tag":"([^"]*)"/g) ?? [];
      expect(imageTags.length, `${release.metadata?.name} sets its image tags`).toBeGreaterThan(0);
      for (const tag of imageTags) expect(tag).toMatch(/"tag":"v?\d+\.\d+\.\d+"/);
    }
    const containerImages = tree.all.flatMap((o) => images(o.spec ?? {}));
    expect(containerImages.length).toBeGreaterThan(0);
    for (const image of containerImages) {
      expect(image).toMatch(/^[a-z0-9.-]+\/[a-z0-9./_-]+:[\w.-]+(@sha256:[0-9a-f]{64})?$/);
      expect(image).not.toMatch(/:latest\b/);
    }
    expect(JSON.stringify(tree.all)).not.toMatch(/:latest"|"latest"/);
  });

  it("gives MetalLB pools inside the environment's network, clear of gateway, nodes and each other", () => {
    const env = EnvironmentSchema.parse(environmentFiles[environment]);
    const pools = tree.all.filter((o) => o.kind === "IPAddressPool");
    expect(pools.map((p) => p.metadata?.name).sort()).toEqual(["homelab", "traefik"]);
    const [network, prefix] = env.network.cidr.split("/");
    const base = toNumber(network ?? "");
    const size = 2 ** (32 - Number(prefix));
    const nodeRanges = [
      [base + env.servers.firstHost, base + env.servers.firstHost + env.servers.count - 1],
      [base + env.agents.firstHost, base + env.agents.firstHost + env.agents.count - 1],
    ];
    const ranges = pools.flatMap((pool) =>
      ((pool.spec?.addresses as string[] | undefined) ?? []).map(toRange),
    );
    for (const [first, last] of ranges) {
      expect(first).toBeGreaterThan(base + 1); // not the network address nor the default gateway
      expect(last).toBeLessThan(base + size - 1); // not the broadcast address
      expect(first).toBeLessThanOrEqual(last);
      for (const [low = 0, high = 0] of nodeRanges) expect(last < low || first > high).toBe(true);
    }
    const [a, b] = ranges;
    expect(a && b && (a[1] < b[0] || b[1] < a[0]), "the pools overlap").toBe(true);
    // The environment says where load balancers live (network.loadBalancerRange), and homelab keeps
    // the registration address and DHCP clear of it: every MetalLB pool must lie inside it.
    const plan = planCluster(env, { file: `environments/${environment}.ts` });
    const declared = [
      toNumber(plan.network.loadBalancerRange.start),
      toNumber(plan.network.loadBalancerRange.end),
    ];
    for (const [first, last] of ranges) {
      expect(first).toBeGreaterThanOrEqual(declared[0] ?? 0);
      expect(last).toBeLessThanOrEqual(declared[1] ?? 0);
    }
    // Traefik's fixed address: one address, usable only by services in the traefik namespace.
    const traefik = pools.find((p) => p.metadata?.name === "traefik");
    const [reserved] = ((traefik?.spec?.addresses as string[] | undefined) ?? []).map(toRange);
    expect(reserved?.[0]).toBe(reserved?.[1]);
    expect(traefik?.spec?.serviceAllocation).toMatchObject({ namespaces: ["traefik"] });
    const advertised = tree.all.find((o) => o.kind === "L2Advertisement")?.spec?.ipAddressPools as string[];
    expect([...advertised].sort()).toEqual(["homelab", "traefik"]);
  });
});

/** `a.b.c.d/32`, `a.b.c.d-e.f.g.h` or `a.b.c.d` as [first, last] numbers. */
function toRange(range: string): [number, number] {
  if (range.includes("-")) {
    const [first = "", last = ""] = range.split("-");
    return [toNumber(first), toNumber(last)];
  }
  const [address = "", bits = "32"] = range.split("/");
  const first = toNumber(address);
  return [first, first + 2 ** (32 - Number(bits)) - 1];
}

function toNumber(address: string): number {
  return address.split(".").reduce((value, octet) => value * 256 + Number(octet), 0);
}

kubectl.describe("environments differ where they should", () => {
  let trees: Record<string, KubeObject[]>;
  beforeAll(() => {
    trees = Object.fromEntries(ENVIRONMENTS.map((e) => [e, built(e).all]));
  });
  const replicas = (environment: string, kind: string, name: string): unknown => {
    const object = trees[environment]?.find((o) => o.kind === kind && o.metadata?.name === name);
    return kind === "HelmRelease"
      ? (object?.spec?.values as { deployment?: { replicas?: unknown } } | undefined)?.deployment?.replicas
      : object?.spec?.replicas;
  };

  it("runs more replicas in staging and production than in development", () => {
    expect(replicas("development", "Deployment", "hello")).toBe(1);
    expect(replicas("staging", "Deployment", "hello")).toBe(2);
    expect(replicas("production", "Deployment", "hello")).toBe(3);
    expect(replicas("development", "HelmRelease", "traefik")).toBe(1);
    expect(replicas("production", "HelmRelease", "traefik")).toBe(2);
  });

  it("protects production with PodDisruptionBudgets; kured is k3s's, never the tree's", () => {
    expect(trees.production?.some((o) => o.kind === "PodDisruptionBudget")).toBe(true);
    expect(trees.development?.some((o) => o.kind === "PodDisruptionBudget")).toBe(false);
    // Exactly one kured per cluster: the HelmChart k3s installs on every server (src/reboots).
    // One from Git would hold its own lock, and two nodes could reboot at once.
    for (const environment of ENVIRONMENTS) {
      expect(JSON.stringify(trees[environment]), environment).not.toContain("kubereboot");
      expect(
        trees[environment]?.filter((o) => /kured/i.test(String(o.metadata?.name))),
        environment,
      ).toEqual([]);
    }
  });

  it("gives each environment its own MetalLB range", () => {
    const ranges = ENVIRONMENTS.map(
      (e) =>
        (trees[e]?.find((o) => o.kind === "IPAddressPool")?.spec?.addresses as string[] | undefined)?.[0],
    );
    expect(new Set(ranges).size).toBe(ENVIRONMENTS.length);
  });
});

kubectl.describe("every kustomization in the tree builds on its own", () => {
  const directories: string[] = [];
  const walk = (dir: string): void => {
    const entries = readdirSync(join(repositoryRoot, dir), { withFileTypes: true });
    if (entries.some((e) => e.isFile() && e.name === "kustomization.yaml")) directories.push(dir);
    for (const entry of entries) if (entry.isDirectory()) walk(join(dir, entry.name));
  };
  walk("kubernetes");

  it.each(directories)("%s", (directory) => {
    expect(kustomize(directory).length).toBeGreaterThan(0);
  });
});
