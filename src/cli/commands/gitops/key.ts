import { createHash } from "node:crypto";
import { ensureDeployKey } from "../../../gitops/index.js";
import { stateLayout } from "../../../state/layout.js";
import type { CliContext } from "../../context.js";
import { environmentStateDir } from "../../paths.js";
import { loadGitopsEnvironment } from "./environment.js";

/** `SHA256:…` as `ssh-keygen -lf` prints it: what the Git host shows next to the key. */
export function sshFingerprint(publicKeyLine: string): string | undefined {
  const blob = publicKeyLine.trim().split(/\s+/)[1];
  if (blob === undefined) return undefined;
  return `SHA256:${createHash("sha256").update(Buffer.from(blob, "base64")).digest("base64").replace(/=+$/, "")}`;
}

/** Where the Git host takes deploy keys, for the hosts whose page homelab knows. */
function deployKeyPage(host: string, repositoryPath: string): string | undefined {
  const repository = repositoryPath.replace(/\.git$/, "");
  if (host === "github.com") return `https://github.com/${repository}/settings/keys`;
  if (host === "gitlab.com") return `https://gitlab.com/${repository}/-/settings/repository (Deploy keys)`;
  return undefined;
}

export async function runGitopsKey(name: string, context: CliContext): Promise<number> {
  const { loaded, settings } = await loadGitopsEnvironment(name, context);
  const environment = loaded.environment;
  const { repository } = settings;
  if (repository.transport !== "ssh") {
    context.reporter.warn(
      `${environment.name} syncs from ${repository.url} over HTTPS: Flux reads it without a key, so there is no deploy key. ` +
        "For a private repository, set gitops.url to an ssh:// URL and run this again.",
      { where: { file: loaded.file, path: "gitops.url" } },
    );
    context.reporter.result({ environment: environment.name, publicKey: null });
    return 1;
  }
  const layout = stateLayout(environmentStateDir(context.paths, environment.name));
  const pair = await ensureDeployKey(layout, environment.name);
  const publicKey = pair.publicKey.trim();
  const fingerprint = sshFingerprint(publicKey);
  const page = deployKeyPage(repository.host, repository.repositoryPath);
  context.reporter.info(
    `Deploy key of ${environment.name} (${fingerprint ?? "unknown fingerprint"}); the private half stays in ${layout.deployPrivateKey}.\n` +
      `Add it at ${page ?? repository.host} as a read-only deploy key for ${repository.repositoryPath}.`,
  );
  context.reporter.result(
    { environment: environment.name, publicKey, fingerprint, publicKeyFile: layout.deployPublicKey },
    `${publicKey}\n`,
  );
  return 0;
}
