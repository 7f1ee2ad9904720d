import { SYSTEM_DIRECTORIES } from "../host-probes.js";
import { INSTALL_OPENTOFU } from "../packages.js";
import type { HostProbes } from "../probes.js";
import type { CheckResult } from "../types.js";

/** Oldest versions homelab supports: OpenTofu's first stable release; Terraform with `import` blocks and `terraform_data`. */
export const MINIMUM_TOFU_VERSIONS = { tofu: "1.6.0", terraform: "1.5.0" } as const;

export interface TofuBinary {
  readonly program: "tofu" | "terraform";
  readonly path: string;
  /** e.g. "1.8.2"; undefined when `version` could not be read. */
  readonly version: string | undefined;
}

/** Parses `tofu version -json` (both tools use `terraform_version`), or the plain text form. */
export function parseTofuVersion(stdout: string): string | undefined {
  try {
    const parsed = JSON.parse(stdout) as { terraform_version?: unknown };
    if (typeof parsed.terraform_version === "string") return parsed.terraform_version;
  } catch {
    // not JSON: older releases print text
  }
  return /(?:OpenTofu|Terraform) v(\d+\.\d+\.\d+(?:-[\w.]+)?)/.exec(stdout)?.[1];
}

/** Compares dotted versions numerically (pre-release suffixes sort before the release). */
export function compareVersions(a: string, b: string): number {
  const parse = (version: string) => {
    const [core = "", pre] = version.replace(/^v/, "").split("-", 2);
    return { parts: core.split(".").map((part) => Number(part) || 0), pre };
  };
  const left = parse(a);
  const right = parse(b);
  for (let index = 0; index < Math.max(left.parts.length, right.parts.length); index++) {
    const difference = (left.parts[index] ?? 0) - (right.parts[index] ?? 0);
    if (difference !== 0) return Math.sign(difference);
  }
  if (left.pre && !right.pre) return -1;
  if (!left.pre && right.pre) return 1;
  return 0;
}

/**
 * Finds OpenTofu (`tofu`) or else Terraform (`terraform`) on the search path and reads its
 * version. The OpenTofu runner uses the same lookup, so doctor checks what `up` will run.
 */
export async function findTofu(probes: HostProbes): Promise<TofuBinary | undefined> {
  for (const program of ["tofu", "terraform"] as const) {
    const path = await probes.which(program);
    if (!path) continue;
    // CHECKPOINT_DISABLE: Terraform would otherwise phone home for `version`.
    const result = await probes.run(path, ["version", "-json"], {
      timeoutMs: 20_000,
      env: { CHECKPOINT_DISABLE: "1" },
    });
    return { program, path, version: result.exitCode === 0 ? parseTofuVersion(result.stdout) : undefined };
  }
  return undefined;
}

export function checkTofuBinary(binary: TofuBinary | undefined): CheckResult {
  if (!binary) {
    return {
      id: "tofu",
      status: "failure",
      summary: `neither OpenTofu (tofu) nor Terraform (terraform) was found in PATH or ${SYSTEM_DIRECTORIES.join(", ")}`,
      code: "tofu-not-found",
      fix: INSTALL_OPENTOFU,
    };
  }
  const name = binary.program === "tofu" ? "OpenTofu" : "Terraform";
  const minimum = MINIMUM_TOFU_VERSIONS[binary.program];
  if (!binary.version) {
    return {
      id: "tofu",
      status: "warning",
      summary: `${name} at ${binary.path} did not report its version (\`${binary.program} version -json\` failed)`,
      code: "tofu-too-old",
      fix: { text: `Run \`${binary.path} version\` to see why; homelab needs ${name} ≥ ${minimum}.` },
    };
  }
  if (compareVersions(binary.version, minimum) < 0) {
    return {
      id: "tofu",
      status: "failure",
      summary: `${name} ${binary.version} at ${binary.path} is older than ${minimum}`,
      code: "tofu-too-old",
      fix: {
        ...INSTALL_OPENTOFU,
        text: `Upgrade to ${name} ≥ ${minimum} (or install OpenTofu, which homelab prefers).`,
      },
    };
  }
  return { id: "tofu", status: "ok", summary: `${name} ${binary.version} (${binary.path})` };
}

export async function checkTofu(probes: HostProbes): Promise<CheckResult> {
  return checkTofuBinary(await findTofu(probes));
}
