import { spawnSync } from "node:child_process";
import { chmodSync, cpSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { toolPath } from "./real-tools.js";

/**
 * systemd's own tools on units the real Ignition wrote to a scratch root (Debian's `systemd`):
 * `systemd-analyze verify` against the root, and `systemd-analyze condition` evaluated with the
 * root's /var/lib bind-mounted over the host's in a private mount namespace (`unshare -m`, as
 * root), so that a `ConditionPathExists=` on /var/lib sees the scratch root's files.
 * Suites using these declare "systemd-analyze" (and for conditions "root", "unshare", "mount")
 * with describeWithTools (real-tools.ts).
 */

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
    toolPath("systemd-analyze"),
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
    toolPath("unshare"),
    [
      "-m",
      "sh",
      "-c",
      `"$1" --bind "$2" /var/lib && exec "$3" condition "$4"`,
      "sh",
      toolPath("mount"),
      join(root, "var/lib"),
      toolPath("systemd-analyze"),
      condition,
    ],
    { encoding: "utf8" },
  );
  if (run.status !== 0 && !`${run.stdout}${run.stderr}`.includes("Conditions failed"))
    throw new Error(`systemd-analyze condition did not run: ${run.stderr}`);
  return run.status === 0;
}
