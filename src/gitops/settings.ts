import type { Environment } from "../environment/schema.js";
import { HomelabError, type HomelabErrorDetail, type SourceLocation } from "../errors/index.js";
import { knownHostsFor } from "./known-hosts.js";
import { type GitRepositoryUrl, parseRepositoryUrl } from "./repository-url.js";

export type GitopsConfig = NonNullable<Environment["gitops"]>;

/** An environment's GitOps settings, checked and with every default applied. */
export interface GitopsSettings {
  readonly repository: GitRepositoryUrl;
  readonly branch: string;
  /** `./`-prefixed path in the repository that Flux applies, e.g. `./kubernetes/clusters/development`. */
  readonly path: string;
  readonly interval: string;
  /** known_hosts text for SSH repositories; absent for HTTPS. */
  readonly knownHosts?: string;
}

/** Where Flux syncs from when `gitops.path` is not set. */
export function defaultSyncPath(environmentName: string): string {
  return `kubernetes/clusters/${environmentName}`;
}

/** True when the environment syncs over SSH and so needs a deploy key. */
export function needsDeployKey(environment: Environment): boolean {
  return environment.gitops?.url.startsWith("ssh://") ?? false;
}

/** Git's rules for branch names (git check-ref-format), the ones a typo can break. */
function branchProblem(branch: string): string | undefined {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: git forbids control characters in ref names
  if (/[\s~^:?*[\\\x00-\x1f\x7f]/.test(branch))
    return "contains a space or one of ~ ^ : ? * [ \\ or a control character";
  if (branch.includes("..") || branch.includes("@{") || branch.includes("//")) return "contains .., @{ or //";
  if (
    branch.startsWith("-") ||
    branch.startsWith("/") ||
    branch.endsWith("/") ||
    branch.endsWith(".") ||
    branch.endsWith(".lock")
  ) {
    return "starts with - or /, or ends with /, . or .lock";
  }
  if (branch.startsWith("refs/"))
    return "is a full ref; give the branch name only (main, not refs/heads/main)";
  return undefined;
}

function normalizePath(path: string): string | undefined {
  const segments = path
    .replace(/\\/g, "/")
    .split("/")
    .filter((segment) => segment !== "" && segment !== ".");
  if (segments.length === 0 || segments.includes("..")) return undefined;
  return `./${segments.join("/")}`;
}

/**
 * Checks `environment.gitops` and resolves its defaults. Throws one `gitops-invalid` error that
 * lists every problem, located at its field (`where.file` is `environmentFile` when given).
 * Returns undefined when the environment has no `gitops` section.
 */
export function resolveGitopsSettings(
  environment: Environment,
  environmentFile?: string,
): GitopsSettings | undefined {
  const gitops = environment.gitops;
  if (gitops === undefined) return undefined;
  const at = (path: string): SourceLocation =>
    environmentFile === undefined ? { path } : { file: environmentFile, path };
  const problems: HomelabErrorDetail[] = [];
  const fixes: string[] = [];

  const parsed = parseRepositoryUrl(gitops.url);
  if (!parsed.ok) {
    problems.push({ message: parsed.problem.message, where: at("gitops.url") });
    fixes.push(parsed.problem.fix);
  }
  const branchIssue = branchProblem(gitops.branch);
  if (branchIssue !== undefined) {
    problems.push({ message: `branch "${gitops.branch}" ${branchIssue}`, where: at("gitops.branch") });
    fixes.push("Set gitops.branch to the name of an existing branch, e.g. main.");
  }
  const path = normalizePath(gitops.path ?? defaultSyncPath(environment.name));
  if (path === undefined) {
    problems.push({
      message: `path "${gitops.path}" is not a path inside the repository`,
      where: at("gitops.path"),
    });
    fixes.push(
      `Use a path relative to the repository root without "..", e.g. ${defaultSyncPath(environment.name)}.`,
    );
  }

  let knownHosts: string | undefined;
  if (parsed.ok && parsed.repository.transport === "ssh") {
    const result = knownHostsFor(parsed.repository, gitops.knownHosts);
    if (result.ok) {
      knownHosts = result.knownHosts;
    } else {
      for (const problem of result.problems) {
        problems.push({
          message: problem.message,
          where: at(problem.index === undefined ? "gitops.knownHosts" : `gitops.knownHosts.${problem.index}`),
        });
      }
      fixes.push(result.fix);
    }
  }

  if (problems.length > 0 || !parsed.ok || path === undefined) {
    const first = problems[0];
    throw new HomelabError(
      "gitops-invalid",
      problems.length === 1 && first ? first.message : `${problems.length} problems with the gitops settings`,
      {
        where: first?.where,
        details: problems.length === 1 ? [] : problems,
        fix: fixes.join("\n"),
      },
    );
  }
  return {
    repository: parsed.repository,
    branch: gitops.branch,
    path,
    interval: gitops.interval,
    ...(knownHosts === undefined ? {} : { knownHosts }),
  };
}
