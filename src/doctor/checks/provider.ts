import {
  describeAvailability,
  mirrorInstructions,
  type ProviderInstallQuery,
  providerAvailability,
} from "../../provider-install/index.js";
import { everywhere } from "../packages.js";
import type { CheckResult } from "../types.js";
import type { TofuBinary } from "./tofu.js";

/** What the CLI gives doctor to check the provider: a query per flavor (it knows the env vars). */
export interface ProviderCheckInput {
  readonly query: (flavor: "tofu" | "terraform") => ProviderInstallQuery;
  /** The rendered directory `providers mirror` runs in, as the user types it. */
  readonly renderedDir: string;
  readonly platform: string;
}

/**
 * dmacvicar/libvirt is installed, cached (with a dependency lock) or in a filesystem mirror,
 * so `init` needs no registry; otherwise a warning (init downloads it, which is fine with
 * internet access) with how to pre-seed a mirror, or a failure when the CLI configuration
 * leaves init no way to install it at all.
 */
export async function checkProvider(
  input: ProviderCheckInput | undefined,
  tofu: TofuBinary | undefined,
): Promise<CheckResult> {
  if (!input || !tofu) {
    return { id: "provider", status: "ok", summary: "not checked: no OpenTofu or Terraform to install it" };
  }
  const query = input.query(tofu.program);
  const availability = await providerAvailability(query);
  const summary = describeAvailability(availability, tofu.program);
  if (availability.offline) return { id: "provider", status: "ok", summary };
  const advice = mirrorInstructions(availability, {
    program: tofu.program,
    platform: input.platform,
    renderedDir: input.renderedDir,
    home: query.home,
  });
  return {
    id: "provider",
    status: availability.noMethod ? "failure" : "warning",
    summary,
    code: "provider-not-cached",
    notes: availability.notes,
    fix: {
      text: `${availability.noMethod ? "To" : "Fine with internet access. To keep init offline,"} ${advice.intro}`,
      commands: everywhere(advice.command, ...advice.alternatives),
    },
  };
}
