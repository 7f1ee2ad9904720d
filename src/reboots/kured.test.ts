import { describe, expect, it } from "vitest";
import { parseAllDocuments, parse as parseYaml } from "yaml";
import { type EnvironmentInput, EnvironmentSchema } from "../environment/schema.js";
import { planCluster } from "../plan/index.js";
import { KURED_CHART, KURED_MANIFEST_PATH, kuredManifest, rebootFiles, updateStrategy } from "./index.js";

function environment(updates: EnvironmentInput["updates"], servers = 3, offline = false) {
  return EnvironmentSchema.parse({
    name: "test",
    prefix: "k3s-test",
    network: { cidr: "192.168.150.0/24" },
    servers: { count: servers },
    agents: { count: 3 },
    updates,
    offline,
  } satisfies EnvironmentInput);
}

interface HelmChart {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string };
  spec: { repo: string; chart: string; version: string; targetNamespace: string; valuesContent: string };
}

function chartOf(updates: EnvironmentInput["updates"]) {
  const documents = parseAllDocuments(kuredManifest(environment(updates))).map((d) => d.toJS());
  expect(documents).toHaveLength(1);
  const chart = documents[0] as HelmChart;
  const values = parseYaml(chart.spec.valuesContent) as {
    image: { repository: string; tag: string };
    configuration: Record<string, unknown>;
    tolerations: unknown[];
  };
  return { chart, values };
}

describe("the kured HelmChart", () => {
  it("installs the pinned chart and image through k3s's helm-controller", () => {
    const { chart, values } = chartOf({ strategy: "reboot", window: { start: "Sun 03:00", length: "3h" } });
    expect(chart.apiVersion).toBe("helm.cattle.io/v1");
    expect(chart.kind).toBe("HelmChart");
    expect(chart.metadata).toMatchObject({ name: "kured", namespace: "kube-system" });
    expect(chart.spec).toMatchObject({
      repo: "https://kubereboot.github.io/charts",
      chart: "kured",
      version: "6.1.0",
      targetNamespace: "kube-system",
    });
    expect(chart.spec.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(values.image).toEqual({ repository: "ghcr.io/kubereboot/kured", tag: KURED_CHART.image.tag });
    expect(values.image.tag).toMatch(/^\d+\.\d+\.\d+$/);
    // One node at a time, cluster-wide; every node, tainted or not.
    expect(values.configuration.concurrency).toBe(1);
    // Helm reads values as YAML 1.1: times are quoted, never base-60 numbers.
    expect(chart.spec.valuesContent).toContain('endTime: "05:59:59"');
    expect(values.tolerations).toEqual([{ operator: "Exists" }]);
  });

  it.each([
    [
      "production's Sunday window",
      { start: "Sun 03:00", length: "3h" },
      { rebootDays: ["sun"], startTime: "03:00", endTime: "05:59:59", timeZone: "UTC" },
    ],
    [
      "development's hour",
      { start: "Sun 04:00", length: "1h" },
      { rebootDays: ["sun"], startTime: "04:00", endTime: "04:59:59", timeZone: "UTC" },
    ],
    [
      "a window crossing midnight",
      { start: "Sat 23:00", length: "3h" },
      { rebootDays: ["sun"], startTime: "00:00", endTime: "02:59:59", timeZone: "Etc/GMT-1" },
    ],
    [
      "no window",
      undefined,
      {
        rebootDays: ["sun", "mon", "tue", "wed", "thu", "fri", "sat"],
        startTime: "00:00",
        endTime: "23:59:59",
        timeZone: "UTC",
      },
    ],
  ])("translates %s", (_name, window, expected) => {
    const { values } = chartOf({ strategy: "reboot", ...(window ? { window } : {}) });
    expect(values.configuration).toMatchObject(expected);
  });

  it("says in its header what the window is, in UTC, and why a shifted zone is used", () => {
    const text = kuredManifest(environment({ window: { start: "Sat 23:00", length: "3h" } }));
    expect(text).toContain("Sat 23:00–Sun 02:00 UTC");
    expect(text).toContain("Etc/GMT-1");
    expect(kuredManifest(environment({ window: { start: "Sun 03:00", length: "3h" } }))).not.toContain(
      "crosses midnight",
    );
  });

  it("is the same file on every server, and nowhere with updates.strategy off", () => {
    const reboot = planCluster(environment({ window: { start: "Sun 03:00", length: "3h" } }), {
      file: "environments/test.ts",
    });
    const [file, ...rest] = rebootFiles(reboot);
    expect(rest).toEqual([]);
    expect(file).toMatchObject({ path: KURED_MANIFEST_PATH, mode: 0o600 });
    expect(KURED_MANIFEST_PATH).toBe("/var/lib/rancher/k3s/server/manifests/homelab-kured.yaml");
    // Independent of the number of servers: adding one changes no other server's file.
    const five = planCluster(environment({ window: { start: "Sun 03:00", length: "3h" } }, 5), {
      file: "environments/test.ts",
    });
    expect(rebootFiles(five)).toEqual(rebootFiles(reboot));
    const off = planCluster(environment({ strategy: "off" }), { file: "environments/test.ts" });
    expect(rebootFiles(off)).toEqual([]);
  });

  it.each([
    ["default, online", undefined, false, "reboot"],
    ["default, offline", undefined, true, "off"],
    ["off, online", "off", false, "off"],
    ["off, offline", "off", true, "off"],
    ["reboot, online", "reboot", false, "reboot"],
  ] as const)("strategy %s is %s", (_name, strategy, offline, expected) => {
    const plan = planCluster(environment(strategy ? { strategy } : {}, 3, offline), {
      file: "environments/test.ts",
    });
    expect(updateStrategy(plan.environment)).toBe(expected);
    expect(rebootFiles(plan).length).toBe(expected === "reboot" ? 1 : 0);
  });
});
