import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { HomelabError } from "../errors/index.js";

/** What the runner needs to know about a rendered configuration directory. */
export interface WorkingConfig {
  /** The local backend's state path, resolved against the directory; undefined without one. */
  readonly backendStatePath: string | undefined;
  /** Providers the configuration requires (source addresses); none for `terraform_data` only. */
  readonly requiredProviders: readonly string[];
  /**
   * Hash of everything `init` depends on: the `terraform` blocks (backend, required providers
   * and versions). When it changes, `init` must run again.
   */
  readonly initFingerprint: string;
}

interface TerraformBlock {
  readonly backend?: { readonly local?: { readonly path?: unknown } };
  readonly required_providers?: Record<string, { readonly source?: unknown } | string>;
}

function terraformBlocks(document: unknown): TerraformBlock[] {
  if (typeof document !== "object" || document === null) return [];
  const block = (document as { terraform?: unknown }).terraform;
  if (Array.isArray(block)) return block as TerraformBlock[];
  return typeof block === "object" && block !== null ? [block as TerraformBlock] : [];
}

/**
 * Reads the `*.tf.json` files of `directory` (homelab renders JSON only). HCL `*.tf` files
 * are hashed whole, so that a hand-added file still triggers `init` when it changes.
 */
export async function readWorkingConfig(directory: string): Promise<WorkingConfig> {
  let names: string[];
  try {
    names = (await readdir(directory)).filter((n) => n.endsWith(".tf.json") || n.endsWith(".tf")).sort();
  } catch (error) {
    throw new HomelabError("rendered-config-invalid", `the rendered directory ${directory} cannot be read`, {
      cause: error,
      fix: "Run `homelab render` and try again.",
    });
  }
  if (names.length === 0) {
    throw new HomelabError(
      "rendered-config-invalid",
      `${directory} holds no OpenTofu configuration (*.tf.json)`,
      {
        fix: "Run `homelab render` and try again.",
      },
    );
  }
  const hash = createHash("sha256");
  let backendStatePath: string | undefined;
  const requiredProviders = new Set<string>();
  for (const name of names) {
    const text = await readFile(join(directory, name), "utf8");
    if (name.endsWith(".tf")) {
      hash.update(`${name}\0${text}\0`);
      continue;
    }
    let document: unknown;
    try {
      document = JSON.parse(text);
    } catch (error) {
      throw new HomelabError("rendered-config-invalid", `${join(directory, name)} is not valid JSON`, {
        cause: error,
        where: { file: join(directory, name) },
        fix: "Run `homelab render` again; do not edit rendered files by hand.",
      });
    }
    for (const block of terraformBlocks(document)) {
      hash.update(
        `${name}\0${JSON.stringify({ backend: block.backend, providers: block.required_providers })}\0`,
      );
      const path = block.backend?.local?.path;
      if (typeof path === "string") backendStatePath = resolve(directory, path);
      for (const [local, requirement] of Object.entries(block.required_providers ?? {})) {
        const source = typeof requirement === "string" ? local : requirement.source;
        requiredProviders.add(typeof source === "string" ? source : local);
      }
    }
  }
  return {
    backendStatePath,
    requiredProviders: [...requiredProviders].sort(),
    initFingerprint: hash.digest("hex"),
  };
}

/**
 * Refuses a configuration whose state would not land in homelab's state directory: state in
 * the rendered directory would be deleted by the next render.
 */
export function assertStateInStateDir(
  config: WorkingConfig,
  directory: string,
  expectedStateFile: string,
): void {
  if (config.backendStatePath === resolve(expectedStateFile)) return;
  const actual = config.backendStatePath ?? "the default (terraform.tfstate in the rendered directory)";
  throw new HomelabError(
    "rendered-config-invalid",
    `the configuration in ${directory} keeps OpenTofu state at ${actual}, not at ${expectedStateFile}`,
    {
      where: { file: directory, path: "terraform.backend.local.path" },
      fix: "homelab keeps state outside the rendered directory, which render replaces. Run `homelab render` again (it rewrites the file; do not edit rendered files by hand).",
    },
  );
}
