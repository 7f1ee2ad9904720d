import { spawnSync } from "node:child_process";
import { chmodSync, cpSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * systemd's own tools on units the real Ignition wrote to a scratch root (Debian's `systemd`):
 * `systemd-analyze verify` against the root, and `systemd-analyze condition` evaluated with the
 * root's /var/lib bind-mounted over the host's in a private mount namespace (`unshare -m`, as
 * root), so that a `ConditionPathExists=` on /var/lib sees the scratch root's files.
 */

export const SYSTEMD_ANALYZE = "/usr/bin/systemd-analyze";

export function requireSystemdAnalyze(): void {
  if (spawnSync(SYSTEMD_ANALYZE, ["--version"]).status !== 0)
    throw new Error("systemd-analyze is missing: apt-get install -y systemd");
}

/**
 * The units Ignition wrote, verified by systemd against the scratch root (binaries included).
 * Returns systemd's complaints about homelab's units, or "" when there are none.
 */
export function verifyUnits(root: string, units: readonly string[]): string {
  // The root gets what Flatcar itself ships and the units refer to: systemd's own units
  // (targets such as network-online.target, taken from this host's systemd) and the tools.
  cpSync("/usr/lib/systemd/system", join(root, "usr/lib/systemd/system"), { recursive: true });
  for (const tool of ["sbin/modprobe", "usr/bin/curl"]) {
    mkdirSync(join(root, tool, ".."), { recursive: true });
    writeFileSync(join(root, tool), "#!/bin/sh\nexit 0\n");
    chmodSync(join(root, tool), 0o755);
  }
  const run = spawnSync(
    SYSTEMD_ANALYZE,
    ["verify", `--root=${root}`, ...units.map((unit) => `/etc/systemd/system/${unit}`)],
    { encoding: "utf8" },
  );
  return (
    `${run.stdout}${run.stderr}`
      .split("\n")
      // systemd-analyze also looks at the host's own units around the root; only ours matter.
      .filter((line) => line.trim() !== "" && (line.includes("k3s") || line.includes("homelab")))
      .join("\n")
  );
}

/** Whether a `Condition…=` line holds on the scratch root's /var/lib. */
export function conditionHolds(root: string, condition: string): boolean {
  mkdirSync(join(root, "var/lib"), { recursive: true });
  const run = spawnSync(
    "unshare",
    [
      "-m",
      "sh",
      "-c",
      `mount --bind "$1" /var/lib && exec ${SYSTEMD_ANALYZE} condition "$2"`,
      "sh",
      join(root, "var/lib"),
      condition,
    ],
    { encoding: "utf8" },
  );
  if (run.status !== 0 && !`${run.stdout}${run.stderr}`.includes("Conditions failed"))
    throw new Error(`systemd-analyze condition did not run: ${run.stderr}`);
  return run.status === 0;
}
