import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { offlineTerraformEnv } from "../support/offline-terraform.js";
import { toolPath } from "../support/real-tools.js";

const run = promisify(execFile);

/**
 * The real Terraform or OpenTofu binary on this machine ($HOMELAB_TEST_TOFU, else tofu, else
 * terraform). Tests using it declare "terraform" (support/real-tools.ts).
 */
export function terraformBinary(): string {
  return toolPath("terraform");
}

/** Runs terraform in `dir`; its data directory (TF_DATA_DIR) is `dataDir`, default `dir/.terraform`. */
export async function terraform(
  dir: string,
  args: readonly string[],
  dataDir = join(dir, ".terraform"),
): Promise<string> {
  try {
    const { stdout } = await run(terraformBinary(), [...args], {
      cwd: dir,
      env: {
        ...process.env,
        TF_IN_AUTOMATION: "1",
        TF_DATA_DIR: dataDir,
        ...offlineTerraformEnv(),
      },
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout;
  } catch (error) {
    const failure = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(
      `terraform ${args.join(" ")} failed:\n${failure.stderr ?? ""}\n${failure.stdout ?? failure.message}`,
    );
  }
}

interface PlanJson {
  readonly resource_changes?: readonly {
    readonly address: string;
    readonly change: { readonly actions: readonly string[] };
  }[];
}

/** Every resource with a planned action other than no-op, with that action. */
export async function plannedChanges(
  dir: string,
  extraArgs: readonly string[] = [],
  dataDir?: string,
): Promise<Record<string, string>> {
  const planFile = join(dataDir ?? dir, "plan.bin");
  await terraform(
    dir,
    ["plan", "-input=false", "-no-color", "-lock=false", `-out=${planFile}`, ...extraArgs],
    dataDir,
  );
  const plan = JSON.parse(
    await terraform(dir, ["show", "-json", "-no-color", planFile], dataDir),
  ) as PlanJson;
  const changes: Record<string, string> = {};
  for (const change of plan.resource_changes ?? []) {
    const actions = change.change.actions.join(",");
    if (actions !== "no-op" && actions !== "read") changes[change.address] = actions;
  }
  return changes;
}
