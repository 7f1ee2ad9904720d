import type { SourceLocation } from "../errors/index.js";
import { HomelabError } from "../errors/index.js";
import { type LoadedEnvironment, locateDetails } from "./load.js";

/**
 * An environment whose `name` differs from its file's name. Everything homelab keeps is keyed
 * by `name` (state directory, `.homelab/<name>`, `~/.kube/homelab-<name>.yaml`), so a copy of
 * development.ts that kept `name: "development"` acts on the development cluster. Commands
 * that change something refuse it (`env-name-mismatch`); the others warn, once.
 */
export interface NameMismatchReport {
  readonly message: string;
  readonly where: SourceLocation;
  readonly fix: string;
}

/** The located report for a loaded environment, or undefined when its name matches its file. */
export async function nameMismatchReport(
  loaded: Pick<LoadedEnvironment, "file" | "absoluteFile" | "nameMismatch">,
): Promise<NameMismatchReport | undefined> {
  const mismatch = loaded.nameMismatch;
  if (!mismatch) return undefined;
  const { fileName, name } = mismatch;
  const message = `"${name}" does not match the file name "${fileName}": this environment would use ${name}'s state, render directory (.homelab/${name}) and kubeconfig, i.e. act on the ${name} cluster`;
  const [detail] = await locateDetails(loaded.absoluteFile, loaded.file, [{ path: ["name"], message }]);
  return {
    message,
    where: detail?.where ?? { file: loaded.file, path: "name" },
    fix:
      `Give the environment its own name: name: "${fileName}" in ${loaded.file} (a copied environment also needs ` +
      `its own prefix and network), or rename the file to ${name}${loaded.file.slice(loaded.file.lastIndexOf("."))}. ` +
      `If you mean the ${name} cluster, name it: \`homelab <command> ${name}\`.`,
  };
}

/** The error of a command that would change something (up, apply, destroy, replace, …). */
export async function nameMismatchError(
  loaded: Pick<LoadedEnvironment, "file" | "absoluteFile" | "nameMismatch">,
): Promise<HomelabError | undefined> {
  const report = await nameMismatchReport(loaded);
  if (!report) return undefined;
  return new HomelabError("env-name-mismatch", report.message, { where: report.where, fix: report.fix });
}
