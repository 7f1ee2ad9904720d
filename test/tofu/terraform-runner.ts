import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** The real Terraform or OpenTofu binary on this machine, or a failure that says how to get one. */
export function terraformBinary(): string {
  const candidates = [
    process.env.HOMELAB_TEST_TOFU,
    "/usr/local/bin/tofu",
    "/usr/bin/tofu",
    "/usr/local/bin/terraform",
    "/usr/bin/terraform",
  ];
  for (const candidate of candidates) if (candidate && existsSync(candidate)) return candidate;
  throw new Error(
    "These tests run the real Terraform/OpenTofu (>= 1.5) and none is installed. Install OpenTofu " +
      "(https://opentofu.org/docs/intro/install/) or Terraform 1.11 (HashiCorp's apt repository, " +
      "package `terraform`), or point HOMELAB_TEST_TOFU at the binary.",
  );
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
        CHECKPOINT_DISABLE: "1",
        TF_DATA_DIR: dataDir,
        TF_CLI_CONFIG_FILE: "/dev/null",
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
