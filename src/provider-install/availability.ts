import { readdir, readFile, stat } from "node:fs/promises";
import { basename, join } from "node:path";
import {
  type CliConfig,
  CliConfigSyntaxError,
  type InstallationMethod,
  parseCliConfig,
} from "./cli-config.js";

/**
 * Whether `tofu init` / `terraform init` can install a provider without asking a registry, and
 * if not, why. Follows the CLIs' own search (OpenTofu's cmd/tofu/provider_source.go and
 * internal/providercache, the same in Terraform):
 *
 * 1. a package already unpacked in TF_DATA_DIR (`providers/<host>/<ns>/<type>/<version>/<os_arch>`);
 * 2. the plugin cache (`TF_PLUGIN_CACHE_DIR` or `plugin_cache_dir`), which init links from
 *    without asking the registry only when the dependency lock already pins that version (without
 *    a lock, init first asks the registry which versions exist);
 * 3. with a `provider_installation` block: its filesystem mirrors, and only if no `direct` or
 *    `network_mirror` method also matches the provider (those would be asked too);
 * 4. without one: the implied local mirror directories (`terraform.d/plugins` in the working
 *    directory, `~/.terraform.d/plugins`, `$XDG_DATA_HOME` and `$XDG_DATA_DIRS` `…/plugins`),
 *    whose providers the CLI then never looks up in the registry.
 *
 * Reads files only: the caller passes the environment variables (the library never reads them).
 */

export interface ProviderRequirement {
  /** e.g. "dmacvicar/libvirt" (or "host/namespace/type"). */
  readonly source: string;
  /** Exact version, e.g. "0.9.7". */
  readonly version: string;
}

export interface ProviderInstallQuery {
  readonly provider: ProviderRequirement;
  readonly flavor: "tofu" | "terraform";
  /** `linux_amd64`, `linux_arm64`, … */
  readonly platform: string;
  /** TF_DATA_DIR of the environment. */
  readonly dataDir: string;
  /** Dependency lock files init will use (`.terraform.lock.hcl`), existing or not. */
  readonly dependencyLocks: readonly string[];
  /** Where init runs: its `terraform.d/plugins` is an implied mirror. */
  readonly workingDir?: string;
  readonly home: string;
  /** The variables the CLI reads: TF_CLI_CONFIG_FILE, TF_PLUGIN_CACHE_DIR, XDG_*, HOME. */
  readonly env: Readonly<Record<string, string | undefined>>;
}

export type ProviderFoundIn = "installed" | "plugin-cache" | "filesystem-mirror" | "implied-mirror";

export interface ProviderAvailability {
  /** `registry.opentofu.org/dmacvicar/libvirt`. */
  readonly address: string;
  readonly version: string;
  /** The registry host init would ask. */
  readonly registry: string;
  /** True when init needs no registry for this provider. */
  readonly offline: boolean;
  readonly foundIn: { readonly kind: ProviderFoundIn; readonly path: string } | undefined;
  /**
   * init would fail: the provider_installation block allows only filesystem mirrors for this
   * provider (or no method at all) and none holds the package.
   */
  readonly noMethod: boolean;
  /** The CLI configuration has a provider_installation block (the implied mirrors do not apply). */
  readonly explicitInstallation: boolean;
  /** The CLI configuration file read, if any. */
  readonly cliConfigFile: string | undefined;
  /** Facts worth a line each: a cache without a lock, an unreadable CLI configuration, … */
  readonly notes: readonly string[];
  /** Every place looked in, in order. */
  readonly searched: readonly string[];
}

const REGISTRY_HOSTS = { tofu: "registry.opentofu.org", terraform: "registry.terraform.io" } as const;

async function isDirectoryWithEntries(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory() && (await readdir(path)).length > 0;
  } catch {
    return false;
  }
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch {
    return undefined;
  }
}

/** A mirror (or cache) directory holds the package, unpacked or as the release zip. */
async function mirrorHolds(
  dir: string,
  address: string,
  version: string,
  platform: string,
): Promise<boolean> {
  if (await isDirectoryWithEntries(join(dir, address, version, platform))) return true;
  const type = basename(address);
  return isFile(join(dir, address, `terraform-provider-${type}_${version}_${platform}.zip`));
}

/** `*`-patterns of provider_installation: `host/ns/type`, or `ns/type` on the default host. */
function matchesPattern(pattern: string, address: string, defaultHost: string): boolean {
  const parts = pattern.split("/");
  const full = parts.length === 2 ? [defaultHost, ...parts] : parts;
  const wanted = address.split("/");
  return full.length === 3 && full.every((part, index) => part === "*" || part === wanted[index]);
}

function methodMatches(method: InstallationMethod, address: string, defaultHost: string): boolean {
  const included =
    method.include.length === 0 || method.include.some((p) => matchesPattern(p, address, defaultHost));
  return included && !method.exclude.some((p) => matchesPattern(p, address, defaultHost));
}

/** The CLI configuration file the CLI reads, in its order. */
async function cliConfigFile(query: ProviderInstallQuery): Promise<string | undefined> {
  const explicit = query.env.TF_CLI_CONFIG_FILE;
  if (explicit) return explicit;
  const configHome = query.env.XDG_CONFIG_HOME || join(query.home, ".config");
  const candidates =
    query.flavor === "tofu"
      ? [
          join(query.home, ".tofurc"),
          join(configHome, "opentofu", "tofurc"),
          join(query.home, ".terraformrc"),
        ]
      : [join(query.home, ".terraformrc")];
  for (const candidate of candidates) if (await isFile(candidate)) return candidate;
  return undefined;
}

/** The implied local mirror directories, for a configuration without provider_installation. */
function impliedMirrors(query: ProviderInstallQuery): string[] {
  const dataHome = query.env.XDG_DATA_HOME || join(query.home, ".local", "share");
  const dataDirs = (query.env.XDG_DATA_DIRS || "/usr/local/share:/usr/share").split(":").filter(Boolean);
  const apps = query.flavor === "tofu" ? ["terraform", "opentofu"] : ["terraform"];
  const dirs = [
    ...(query.workingDir ? [join(query.workingDir, "terraform.d", "plugins")] : []),
    join(query.home, ".terraform.d", "plugins"),
  ];
  for (const base of [dataHome, ...dataDirs]) for (const app of apps) dirs.push(join(base, app, "plugins"));
  return [...new Set(dirs)];
}

async function lockPins(files: readonly string[], address: string, version: string): Promise<boolean> {
  for (const file of files) {
    const text = await readOptional(file);
    if (text === undefined) continue;
    const block = new RegExp(`provider\\s+"${address.replace(/[.]/g, "\\.")}"\\s*\\{([^}]*)\\}`).exec(text);
    if (block && new RegExp(`version\\s*=\\s*"${version.replace(/[.]/g, "\\.")}"`).test(block[1] ?? ""))
      return true;
  }
  return false;
}

export async function providerAvailability(query: ProviderInstallQuery): Promise<ProviderAvailability> {
  const registry = REGISTRY_HOSTS[query.flavor];
  const address =
    query.provider.source.split("/").length === 3
      ? query.provider.source
      : `${registry}/${query.provider.source}`;
  const { version } = query.provider;
  const platform = query.platform;
  const searched: string[] = [];
  const notes: string[] = [];
  const result = (
    offline: boolean,
    foundIn: ProviderAvailability["foundIn"],
    extra: { noMethod?: boolean; file?: string | undefined; explicit?: boolean } = {},
  ): ProviderAvailability => ({
    address,
    version,
    registry: address.split("/")[0] ?? registry,
    offline,
    foundIn,
    noMethod: extra.noMethod === true,
    explicitInstallation: extra.explicit === true,
    cliConfigFile: extra.file,
    notes,
    searched,
  });

  const installed = join(query.dataDir, "providers", address, version, platform);
  searched.push(`${installed} (installed by an earlier init)`);
  if (await isDirectoryWithEntries(installed)) return result(true, { kind: "installed", path: installed });

  const file = await cliConfigFile(query);
  let config: CliConfig = { pluginCacheDir: undefined, installation: undefined };
  let readable = true;
  if (file !== undefined) {
    const text = await readOptional(file);
    if (text === undefined && query.env.TF_CLI_CONFIG_FILE)
      notes.push(`TF_CLI_CONFIG_FILE names ${file}, which cannot be read`);
    if (text !== undefined) {
      try {
        config = parseCliConfig(text, { json: file.endsWith(".json"), env: query.env, home: query.home });
      } catch (error) {
        if (!(error instanceof CliConfigSyntaxError)) throw error;
        readable = false;
        notes.push(
          `cannot read the CLI configuration ${file} (${error.message}): whether init stays offline is unknown`,
        );
      }
    }
  }

  const cacheDir = query.env.TF_PLUGIN_CACHE_DIR || config.pluginCacheDir;
  if (cacheDir) {
    searched.push(`${cacheDir} (plugin cache)`);
    if (await mirrorHolds(cacheDir, address, version, platform)) {
      if (await lockPins(query.dependencyLocks, address, version))
        return result(true, { kind: "plugin-cache", path: cacheDir }, { file });
      notes.push(
        `${cacheDir} holds the package, but no dependency lock pins ${version} yet: init first asks ${registry} which versions exist`,
      );
    }
  }

  if (!readable) return result(false, undefined, { file });

  if (config.installation !== undefined) {
    const matching = config.installation.filter((method) => methodMatches(method, address, registry));
    const network = matching.filter((method) => method.kind !== "filesystem_mirror");
    for (const method of matching) {
      if (method.kind !== "filesystem_mirror") continue;
      searched.push(`${method.path} (filesystem_mirror of ${file})`);
      if (await mirrorHolds(method.path, address, version, platform)) {
        if (network.length === 0)
          return result(true, { kind: "filesystem-mirror", path: method.path }, { file, explicit: true });
        notes.push(
          `${method.path} holds the package, but ${file} also lets init ask ${network.map((m) => (m.kind === "direct" ? registry : m.url)).join(" and ")}: exclude the provider there`,
        );
      }
    }
    return result(false, undefined, { file, noMethod: network.length === 0, explicit: true });
  }

  for (const dir of impliedMirrors(query)) {
    searched.push(`${dir} (implied local mirror)`);
    if (await mirrorHolds(dir, address, version, platform))
      return result(true, { kind: "implied-mirror", path: dir }, { file });
  }
  return result(false, undefined, { file });
}

/** One sentence for the CLI and doctor: where the provider comes from, or what init will do. */
export function describeAvailability(availability: ProviderAvailability, program: string): string {
  const provider = `${availability.address.split("/").slice(1).join("/")} ${availability.version}`;
  if (availability.offline && availability.foundIn) {
    const where = {
      installed: "already installed in",
      "plugin-cache": "in the plugin cache",
      "filesystem-mirror": "in the filesystem mirror",
      "implied-mirror": "in the local mirror directory",
    }[availability.foundIn.kind];
    return `${provider} is ${where} ${availability.foundIn.path}: \`${program} init\` needs no registry`;
  }
  if (availability.noMethod)
    return `${provider} cannot be installed: the provider_installation block of ${availability.cliConfigFile} allows no registry for ${availability.address} and no filesystem mirror holds it, so \`${program} init\` will fail`;
  return `\`${program} init\` will download ${provider} from ${availability.registry}: it is not installed, not in a plugin cache and not in a filesystem mirror`;
}
