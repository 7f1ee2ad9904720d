import { join, relative } from "node:path";
import {
  describeAvailability,
  mirrorInstructions,
  type ProviderAvailability,
  type ProviderInstallQuery,
  providerAvailability,
  providerPlatform,
} from "../../provider-install/index.js";
import { tofuStatePaths } from "../../runner/index.js";
import { stateLayout } from "../../state/layout.js";
import { LIBVIRT_PROVIDER } from "../../tofu/index.js";
import type { CliContext } from "../context.js";

/**
 * Where the CLI asks whether `init` can install dmacvicar/libvirt without a registry: before
 * `init` (a notice) and in `homelab doctor` (the "provider" check). The library reads files;
 * the environment variables come from here.
 */
export function providerQuery(
  context: CliContext,
  options: { readonly stateDir: string; readonly workingDir: string; readonly flavor: "tofu" | "terraform" },
): ProviderInstallQuery {
  const paths = tofuStatePaths(stateLayout(options.stateDir));
  return {
    provider: LIBVIRT_PROVIDER,
    flavor: options.flavor,
    platform: providerPlatform(process.platform, process.arch),
    dataDir: context.env.TF_DATA_DIR || paths.dataDir,
    dependencyLocks: [join(options.workingDir, ".terraform.lock.hcl"), paths.dependencyLockCopy],
    workingDir: options.workingDir,
    home: context.paths.home,
    env: context.env,
  };
}

/** The notice's lines: what init will do, why, and how to keep it offline. */
export function providerNoticeLines(
  availability: ProviderAvailability,
  options: { readonly program: string; readonly renderedDir: string; readonly home: string },
): string[] {
  const advice = mirrorInstructions(availability, {
    ...options,
    platform: providerPlatform(process.platform, process.arch),
  });
  return [
    describeAvailability(availability, options.program),
    ...availability.notes,
    `To keep init offline, ${advice.intro}`,
    `  ${advice.command}`,
    ...advice.alternatives.map((line) => `  ${line}`),
  ];
}

/** Runs before `init`: warns when init is about to ask a registry for dmacvicar/libvirt. */
export async function warnIfProviderNotOffline(
  context: CliContext,
  options: {
    readonly stateDir: string;
    readonly workingDir: string;
    readonly flavor: "tofu" | "terraform";
    readonly requiredProviders: readonly string[];
  },
): Promise<void> {
  if (!options.requiredProviders.includes(LIBVIRT_PROVIDER.source)) return;
  const availability = await providerAvailability(providerQuery(context, options));
  if (availability.offline) return;
  const lines = providerNoticeLines(availability, {
    program: options.flavor,
    renderedDir: relative(context.cwd, options.workingDir) || ".",
    home: context.paths.home,
  });
  context.reporter.warn(lines.join("\n  "), { code: "provider-not-cached" });
}
