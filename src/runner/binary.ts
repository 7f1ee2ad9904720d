import { constants } from "node:fs";
import { access, stat } from "node:fs/promises";
import { basename, delimiter, isAbsolute, join, resolve } from "node:path";
import { openTofuInstallText } from "../doctor/packages.js";
import { HomelabError } from "../errors/index.js";

/** Which program runs the configuration: OpenTofu, or Terraform (same CLI, same state format). */
export type TofuFlavor = "tofu" | "terraform";

export interface TofuBinary {
  readonly path: string;
  readonly flavor: TofuFlavor;
  /** How it was chosen: an explicit `--tofu PATH` / `HOMELAB_TOFU`, or a search of PATH. */
  readonly source: "override" | "path";
}

async function isExecutableFile(path: string): Promise<boolean> {
  try {
    if (!(await stat(path)).isFile()) return false;
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** `terraform` in the file name means Terraform; anything else is taken for OpenTofu. */
export function flavorOf(path: string): TofuFlavor {
  return basename(path).includes("terraform") ? "terraform" : "tofu";
}

/**
 * `--tofu PATH` / `HOMELAB_TOFU`: a path (relative to `cwd`) or a bare name searched in
 * `searchPath`. It must be an executable file. (Without an override, the CLI uses doctor's
 * `findTofu`, so that doctor checks exactly the binary `up` runs.)
 */
export async function resolveTofuOverride(
  override: string,
  searchPath: string,
  cwd: string,
): Promise<TofuBinary> {
  let path: string | undefined;
  if (override.includes("/")) path = resolve(cwd, override);
  else {
    for (const directory of searchPath.split(delimiter)) {
      if (directory === "" || !isAbsolute(directory)) continue;
      if (await isExecutableFile(join(directory, override))) {
        path = join(directory, override);
        break;
      }
    }
  }
  if (path === undefined || !(await isExecutableFile(path))) {
    throw new HomelabError(
      "tofu-not-found",
      `${override} (from --tofu or HOMELAB_TOFU) is not an executable file`,
      {
        fix: "Give the path of the `tofu` or `terraform` binary, or leave --tofu/HOMELAB_TOFU unset to search PATH.",
      },
    );
  }
  return { path, flavor: flavorOf(path), source: "override" };
}

/**
 * The error when neither program is installed: where homelab looked, and the install advice
 * doctor gives too (one source: doctor/packages.ts). Root gets commands without `sudo`.
 */
export function tofuNotFoundError(
  options: { readonly searched?: readonly string[]; readonly root?: boolean } = {},
): HomelabError {
  const where = options.searched?.length ? `in ${options.searched.join(":")}` : "in PATH";
  return new HomelabError(
    "tofu-not-found",
    `neither \`tofu\` (OpenTofu) nor \`terraform\` was found ${where}`,
    {
      fix:
        `${openTofuInstallText({ root: options.root === true })}\n` +
        "Terraform works too. Or point homelab at a binary with --tofu PATH or HOMELAB_TOFU=PATH. `homelab doctor` checks this.",
    },
  );
}
