import { stringify } from "yaml";
import type { Environment } from "../environment/schema.js";
import { HomelabError } from "../errors/index.js";
import type { ExtraNodeFile } from "../nodes/index.js";
import type { ClusterPlan } from "../plan/types.js";
import { KURED_CHART } from "./pins.js";
import { updateStrategy } from "./strategy.js";
import { type KuredSchedule, kuredSchedule } from "./window.js";

/**
 * Coordinated reboots. Flatcar stages every update on its passive partition by itself and
 * needs a reboot to switch to it; Flatcar's own reboot manager (locksmithd) is off on every
 * node (`REBOOT_STRATEGY=off`, and masked), and kured does the reboots instead: at most one
 * node at a time cluster-wide, cordoned and drained first, only inside the environment's
 * window — with or without GitOps.
 *
 * kured is installed by k3s itself: every server carries the same `HelmChart`
 * (`helm.cattle.io/v1`, k3s's built-in helm-controller, https://docs.k3s.io/helm) in its
 * auto-deploy directory, rendered from the environment alone. So every server applies the same
 * object, adding a server changes no other node, and there is exactly one kured: one DaemonSet,
 * `kube-system/kured`, whose annotation is the one lock every node must hold to reboot
 * (kured `pkg/daemonsetlock/daemonsetlock.go`; the chart passes `--ds-name` and
 * `--ds-namespace` of that DaemonSet, `templates/daemonset.yaml` lines 67-68 at kured-6.1.0).
 *
 * Facts (kubereboot/kured 1.23.0 `cmd/kured/main.go`, kubereboot/charts kured-6.1.0
 * `charts/kured/values.yaml`): kured reboots when `/var/run/reboot-required` exists, which
 * Flatcar releases after 3067.0.0 write once an update waits (flatcar-website
 * `update-strategies.md` line 23); each node checks every `period` (line 627: the window is
 * tested at each tick, line 629), takes the lock or waits for its next tick (lines 677-682),
 * drains (cordon, then evict, DaemonSets ignored, lines 418-460) and only then reboots; a drain
 * that fails releases the lock, uncordons and tries again later (line 692).
 */

/** Where the HelmChart lands on each server: k3s applies every file there. */
export const KURED_MANIFEST_PATH = "/var/lib/rancher/k3s/server/manifests/homelab-kured.yaml";

/** The namespace of the HelmChart and of kured itself (the DaemonSet that holds the lock). */
export const KURED_NAMESPACE = "kube-system";

/**
 * How often each node checks for a pending update. kured's default (1h) lets a 3-hour window
 * reboot only about three nodes, one per tick that finds the lock free; every 5 minutes, the
 * six nodes of production fit into its window. A check is a file test and a read of one
 * DaemonSet.
 */
export const KURED_PERIOD = "5m";

/** A drain that is stuck this long (a PodDisruptionBudget that never allows an eviction) gives the lock up. */
export const KURED_DRAIN_TIMEOUT = "30m";

/**
 * How long a rebooted node keeps the lock once it is back: its etcd member (on a server) and its
 * pods settle before the next node drains.
 */
export const KURED_LOCK_RELEASE_DELAY = "2m";

/** The chart values: the pinned image, the schedule, one node at a time, every node tolerated. */
export function kuredValues(schedule: KuredSchedule): Record<string, unknown> {
  return {
    image: { repository: KURED_CHART.image.repository, tag: KURED_CHART.image.tag },
    configuration: {
      // The one rule that matters: never two nodes at once (production never loses two servers).
      concurrency: 1,
      period: KURED_PERIOD,
      rebootDays: [...schedule.rebootDays],
      startTime: schedule.startTime,
      endTime: schedule.endTime,
      timeZone: schedule.timeZone,
      drainTimeout: KURED_DRAIN_TIMEOUT,
      lockReleaseDelay: KURED_LOCK_RELEASE_DELAY,
    },
    // Servers too (their updates matter as much), whatever taints the environment gives them.
    tolerations: [{ operator: "Exists" }],
  };
}

/** The HelmChart object k3s's helm-controller installs kured from. */
export function kuredHelmChart(schedule: KuredSchedule): Record<string, unknown> {
  return {
    apiVersion: "helm.cattle.io/v1",
    kind: "HelmChart",
    metadata: {
      name: "kured",
      namespace: KURED_NAMESPACE,
      labels: { "app.kubernetes.io/managed-by": "homelab" },
    },
    spec: {
      repo: KURED_CHART.repository,
      chart: KURED_CHART.name,
      version: KURED_CHART.version,
      targetNamespace: KURED_NAMESPACE,
      // Every string double-quoted: Helm reads values as YAML 1.1, where 02:59:59 could be a
      // base-60 number.
      valuesContent: stringify(kuredValues(schedule), {
        lineWidth: 0,
        defaultStringType: "QUOTE_DOUBLE",
        defaultKeyType: "PLAIN",
      }),
    },
  };
}

/** The schedule of an environment that reboots, or a located error (planCluster refuses it first). */
export function environmentSchedule(environment: Environment, file?: string): KuredSchedule {
  const result = kuredSchedule(environment.updates.window);
  if (!result.ok) {
    throw new HomelabError("env-invalid", `updates.window: ${result.problem}`, {
      where: { ...(file === undefined ? {} : { file }), path: "updates.window" },
      fix: 'Give a window of at most 24 hours, e.g. { start: "Sun 03:00", length: "3h" }.',
    });
  }
  return result.schedule;
}

/** The manifest's text: one YAML document, byte-identical for every server of an environment. */
export function kuredManifest(environment: Environment): string {
  const schedule = environmentSchedule(environment);
  const header = [
    "# Written by homelab on every server (identical on each); k3s's helm-controller installs kured from it.",
    `# Reboots for Flatcar updates: one node at a time, drained first, ${schedule.description}.`,
    ...(schedule.timeZone === "UTC" || environment.updates.window === undefined
      ? []
      : [
          `# The window crosses midnight in UTC, so it is written in ${schedule.timeZone}, where it lies within one day`,
          "# (kured's window is a time range within the days it lists). Same instants.",
        ]),
    "# Change updates.window in the environment file, not this file.",
  ];
  return `${header.join("\n")}\n---\n${stringify(kuredHelmChart(schedule), { lineWidth: 0 })}`;
}

/**
 * The files every server carries for coordinated reboots: the kured HelmChart when
 * `updates.strategy` is "reboot", nothing when it is "off" (no reboots at all).
 */
export function rebootFiles(plan: ClusterPlan): ExtraNodeFile[] {
  if (updateStrategy(plan.environment) === "off") return [];
  return [{ path: KURED_MANIFEST_PATH, mode: 0o600, contents: kuredManifest(plan.environment) }];
}
