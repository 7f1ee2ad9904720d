import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, chownSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { toolPath } from "./real-tools.js";

/**
 * Runs the real Ignition (Debian's `ignition` package, 2.14) in tests: `ignitionValidate` checks
 * a config the way Ignition does (spec 3.3.0; 3.4.0 is "experimental" in 2.14), and
 * `applyIgnition` runs the fetch-offline and files stages against a scratch root directory.
 * Tests using them declare `IGNITION_TOOLS` with describeWithTools (real-tools.ts); an
 * undeclared use of a missing tool fails with the Debian package to install.
 */

export interface ValidateOutcome {
  readonly ok: boolean;
  /** ignition-validate's report (`error at $.path, line 1 col 5: message` lines). */
  readonly output: string;
}

/** Validates an Ignition config with Ignition's own validator. */
export function ignitionValidate(configText: string): ValidateOutcome {
  const validator = toolPath("ignition-validate");
  const dir = mkdtempSync(join(tmpdir(), "ign-validate-"));
  const file = join(dir, "config.ign");
  writeFileSync(file, configText);
  const run = spawnSync(validator, [file], { encoding: "utf8" });
  return { ok: run.status === 0, output: `${run.stdout ?? ""}${run.stderr ?? ""}` };
}

/** The accounts a Flatcar image ships that configs rely on. */
const FLATCAR_ACCOUNTS: Record<string, string> = {
  passwd: "root:x:0:0:root:/root:/bin/bash\ncore:x:500:500:Flatcar Admin:/home/core:/bin/bash\n",
  group: "root:x:0:\nsudo:x:27:\ndocker:x:233:\ncore:x:500:\n",
  shadow: "root:*:19000:0:99999:7:::\ncore:*:19000:0:99999:7:::\n",
  gshadow: "root:*::\nsudo:*::\ndocker:*::\ncore:*::\n",
};

export interface AppliedIgnition {
  /** The scratch root Ignition wrote into. */
  readonly root: string;
  /** Ignition's log of both stages. */
  readonly log: string;
}

/**
 * Applies a config to a fresh scratch root with the real Ignition binary, as first boot
 * would (stages fetch-offline, then files), and returns the root. The root starts like a
 * Flatcar root: minimal passwd/group/shadow/gshadow with `root` and `core` (500:500) and the
 * `sudo`/`docker` groups (the host's own files would clash with users such as Debian's
 * `backup`) and SELinux disabled. Ignition's closing SELinux relabel is replaced by a no-op
 * (there is no policy in a scratch root). Throws with Ignition's log when a stage fails.
 */
export function applyIgnition(configText: string): AppliedIgnition {
  const ignition = toolPath("ignition");
  const work = mkdtempSync(join(tmpdir(), "ign-apply-"));
  // Ignition writes SSH keys as the target user, who must be able to traverse the work dir.
  chmodSync(work, 0o755);
  const root = join(work, "root");
  mkdirSync(join(root, "etc", "selinux"), { recursive: true });
  for (const [name, text] of Object.entries(FLATCAR_ACCOUNTS)) writeFileSync(join(root, "etc", name), text);
  writeFileSync(join(root, "etc", "selinux", "config"), "SELINUX=disabled\nSELINUXTYPE=targeted\n");
  mkdirSync(join(root, "home", "core"), { recursive: true, mode: 0o755 });
  chownSync(join(root, "home", "core"), 500, 500);
  const configFile = join(work, "node.ign");
  writeFileSync(configFile, configText);
  // Ignition ends by relabeling what it wrote with SELinux's setfiles, even with SELinux
  // disabled; a scratch root has no policy to label with, so a no-op stands in for it.
  const shims = join(work, "bin");
  mkdirSync(shims);
  writeFileSync(join(shims, "setfiles"), "#!/bin/sh\ncat >/dev/null\nexit 0\n", { mode: 0o755 });
  const env = {
    ...process.env,
    IGNITION_CONFIG_FILE: configFile,
    PATH: `${shims}:${process.env.PATH ?? ""}`,
  };
  const common = [
    "-platform",
    "file",
    "-log-to-stdout",
    "-config-cache",
    join(work, "cache.json"),
    "-state-file",
    join(work, "state"),
  ];
  let log = "";
  for (const stage of [
    ["-stage", "fetch-offline"],
    ["-stage", "files", "-root", root],
  ]) {
    try {
      log += execFileSync(ignition, [...stage, ...common], {
        env,
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
      });
    } catch (error) {
      const out = error as { stdout?: string; stderr?: string };
      throw new Error(`ignition ${stage.join(" ")} failed:\n${log}${out.stdout ?? ""}${out.stderr ?? ""}`);
    }
  }
  return { root, log };
}
