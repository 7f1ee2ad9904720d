import { type LoadedEnvironment, loadEnvironment, locateDetails } from "../../../environment/index.js";
import { HomelabError } from "../../../errors/index.js";
import { type GitopsSettings, resolveGitopsSettings } from "../../../gitops/index.js";
import type { CliContext } from "../../context.js";
import { warnIfNameMismatch } from "../../lifecycle/environment-name.js";

export interface GitopsEnvironment {
  readonly loaded: LoadedEnvironment;
  readonly settings: GitopsSettings;
}

/** `gitops.knownHosts.0` → ["gitops", "knownHosts", 0], as locateDetails wants it. */
function fieldPath(path: string): (string | number)[] {
  return path.split(".").map((segment) => (/^\d+$/.test(segment) ? Number(segment) : segment));
}

/** Adds line and column to a gitops-invalid error's locations (a courtesy: paths already say where). */
async function located(error: HomelabError, loaded: LoadedEnvironment): Promise<HomelabError> {
  const entries = [
    ...(error.where?.path ? [{ path: fieldPath(error.where.path), message: error.message }] : []),
    ...error.details.map((detail) => ({
      path: fieldPath(detail.where?.path ?? "gitops"),
      message: detail.message,
    })),
  ];
  const [where, ...details] = await locateDetails(loaded.absoluteFile, loaded.file, entries);
  return new HomelabError(error.code, error.message, {
    ...(where?.where === undefined ? {} : { where: where.where }),
    details: error.where?.path ? details : [where, ...details].filter((detail) => detail !== undefined),
    ...(error.fix === undefined ? {} : { fix: error.fix }),
  });
}

/** Loads the environment and its checked GitOps settings, or says why there are none. */
export async function loadGitopsEnvironment(name: string, context: CliContext): Promise<GitopsEnvironment> {
  const loaded = await loadEnvironment(name, { cwd: context.cwd, home: context.paths.home });
  await warnIfNameMismatch(context, loaded);
  let settings: GitopsSettings | undefined;
  try {
    settings = resolveGitopsSettings(loaded.environment, loaded.file);
  } catch (error) {
    if (error instanceof HomelabError && error.code === "gitops-invalid") throw await located(error, loaded);
    throw error;
  }
  if (settings === undefined) {
    throw new HomelabError(
      "gitops-not-configured",
      `${loaded.environment.name} names no Git repository for Flux`,
      {
        where: { file: loaded.file, path: "gitops" },
        fix:
          `Add to ${loaded.file}:\n  gitops: { url: "ssh://git@github.com/<owner>/<repository>.git" }\n` +
          `then run \`homelab gitops key ${loaded.environment.name}\` and add the key at the Git host (docs/04-gitops.md).`,
      },
    );
  }
  return { loaded, settings };
}
