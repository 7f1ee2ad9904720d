/**
 * The kured release the coordinated reboots use: chart `kured` 6.1.0 from kubereboot's chart
 * repository (kubereboot/charts tag `kured-6.1.0`, commit 180a59f, released 2026-06-30 with
 * kured 1.23.0: `appVersion: "1.23.0"` in its Chart.yaml), and the image of that release,
 * set explicitly rather than left to the chart's appVersion default. Pinned by tag, like every
 * image of the GitOps tree. A changed pin changes every server's Ignition, which rolls one
 * server at a time.
 */
export const KURED_CHART = {
  repository: "https://kubereboot.github.io/charts",
  name: "kured",
  version: "6.1.0",
  image: { repository: "ghcr.io/kubereboot/kured", tag: "1.23.0" },
} as const;
