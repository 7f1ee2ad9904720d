/**
 * The Git repository an environment syncs from, taken apart: Flux reads it over SSH (with a
 * deploy key and the host's known key) or over HTTPS (public repositories, no credentials).
 */
export interface GitRepositoryUrl {
  readonly transport: "ssh" | "https";
  /** The URL exactly as Flux gets it. */
  readonly url: string;
  /** Lowercase host name or IP address, without brackets or port. */
  readonly host: string;
  /** The port when the URL names one; SSH defaults to 22, HTTPS to 443. */
  readonly port: number;
  /** SSH user (`git` for GitHub and GitLab); absent for HTTPS. */
  readonly user?: string;
  /** Repository path on the host, without the leading slash. */
  readonly repositoryPath: string;
}

/** A reason the URL cannot be used, with what to write instead. */
export interface UrlProblem {
  readonly message: string;
  readonly fix: string;
}

export type ParsedRepositoryUrl =
  | { readonly ok: true; readonly repository: GitRepositoryUrl }
  | { readonly ok: false; readonly problem: UrlProblem };

const EXAMPLE_SSH = "ssh://git@github.com/<owner>/<repository>.git";

/**
 * Parses `gitops.url`. Only `ssh://` and `https://` URLs are accepted (the schema enforces
 * the scheme); scp-style `git@host:path` is not a URL and Flux does not accept it either.
 */
export function parseRepositoryUrl(text: string): ParsedRepositoryUrl {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return fail(
      `"${text}" is not a URL`,
      `Write it as ${EXAMPLE_SSH} or https://github.com/<owner>/<repository>.git.`,
    );
  }
  const repositoryPath = decodeURIComponent(url.pathname).replace(/^\/+/, "");
  if (repositoryPath === "" || repositoryPath.endsWith("/")) {
    return fail(`"${text}" names no repository path`, `Add the repository's path, e.g. ${EXAMPLE_SSH}.`);
  }
  if (url.search !== "" || url.hash !== "") {
    return fail(
      `"${text}" has a query or fragment`,
      "Remove everything from ? or #: the branch is set with gitops.branch, not in the URL.",
    );
  }
  const host = url.hostname.replace(/^\[|\]$/g, "").toLowerCase();
  if (url.protocol === "https:") {
    if (url.username !== "" || url.password !== "") {
      return fail(
        "the HTTPS URL contains credentials",
        "Never put a password or token into an environment file (it is committed). For a private repository use an " +
          `ssh:// URL (${EXAMPLE_SSH}): homelab generates a deploy key for it (\`homelab gitops key\`).`,
      );
    }
    return {
      ok: true,
      repository: { transport: "https", url: text, host, port: portOf(url, 443), repositoryPath },
    };
  }
  if (url.protocol === "ssh:") {
    if (url.password !== "") {
      return fail(
        "the SSH URL contains a password",
        `Remove it: Flux authenticates with the deploy key. Write ${EXAMPLE_SSH}.`,
      );
    }
    if (url.username === "") {
      return fail(
        `"${text}" names no SSH user`,
        `Add the user the Git host expects, usually git: ${EXAMPLE_SSH.replace("github.com", host || "github.com")}.`,
      );
    }
    return {
      ok: true,
      repository: {
        transport: "ssh",
        url: text,
        host,
        port: portOf(url, 22),
        user: decodeURIComponent(url.username),
        repositoryPath,
      },
    };
  }
  return fail(
    `"${text}" uses ${url.protocol}//, which Flux cannot use here`,
    `Use ${EXAMPLE_SSH} or an https:// URL.`,
  );
}

function portOf(url: URL, defaultPort: number): number {
  return url.port === "" ? defaultPort : Number(url.port);
}

function fail(message: string, fix: string): ParsedRepositoryUrl {
  return { ok: false, problem: { message, fix } };
}

/** The host pattern known_hosts uses for this repository: `host`, or `[host]:port` off port 22. */
export function knownHostsPattern(repository: Pick<GitRepositoryUrl, "host" | "port">): string {
  return repository.port === 22 ? repository.host : `[${repository.host}]:${repository.port}`;
}
