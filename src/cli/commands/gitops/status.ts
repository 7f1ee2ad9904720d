import { existsSync } from "node:fs";
import { kubeconfigPathFor } from "../../../cluster/fetch-kubeconfig.js";
import { type FluxObjectStatus, readFluxStatus } from "../../../gitops/status.js";
import type { CliContext } from "../../context.js";
import { loadGitopsEnvironment } from "./environment.js";

/** A plain, aligned table: KIND, NAMESPACE/NAME, READY, REVISION, MESSAGE. */
export function formatStatusTable(objects: readonly FluxObjectStatus[]): string {
  const rows = objects.map((object) => [
    object.kind,
    `${object.namespace}/${object.name}`,
    object.suspended ? `${object.ready} (suspended)` : object.ready,
    object.revision ?? "",
    [object.reason, object.message].filter((part) => part !== undefined).join(": "),
  ]);
  const header = ["KIND", "NAME", "READY", "REVISION", "MESSAGE"];
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? "").length)),
  );
  return [header, ...rows]
    .map((row) =>
      row
        .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

export async function runGitopsStatus(
  name: string,
  options: { readonly timeoutMs: number },
  context: CliContext,
): Promise<number> {
  const { loaded, settings } = await loadGitopsEnvironment(name, context);
  const environment = loaded.environment.name;
  const kubeconfigPath = kubeconfigPathFor(context.paths.kubeDir, environment);
  const source = { url: settings.repository.url, branch: settings.branch, path: settings.path };
  const heading = `Flux in ${environment}: ${source.url} (${source.branch}) ${source.path}`;

  if (!existsSync(kubeconfigPath)) {
    context.reporter.warn(
      `no kubeconfig at ${kubeconfigPath}, so Flux's state is unknown. Run \`homelab up ${environment}\` ` +
        `(or \`homelab kubeconfig ${environment}\` if the cluster runs).`,
      { code: "not-applied" },
    );
    context.reporter.result(
      { environment, source, state: "unknown", reason: "no kubeconfig" },
      `${heading}\nunknown\n`,
    );
    return 1;
  }

  const status = await context.reporter.step(`Reading Flux objects in ${environment}`, () =>
    readFluxStatus({ kubeconfigPath, timeoutMs: options.timeoutMs }),
  );
  if (status.state === "unreachable") {
    context.reporter.warn(`the Kubernetes API of ${environment} cannot be read: ${status.reason}`, {
      code: "kubernetes-unreachable",
      where: { file: kubeconfigPath },
    });
    context.reporter.result(
      { environment, source, state: "unknown", reason: status.reason },
      `${heading}\nunknown\n`,
    );
    return 1;
  }
  if (status.state === "not-installed") {
    context.reporter.warn(
      "the cluster answers but has no Flux yet: the first server installs it within minutes of its first boot " +
        "(if this persists, see docs/04-gitops.md, section Troubleshooting).",
    );
    context.reporter.result(
      { environment, source, state: "not-installed", objects: [] },
      `${heading}\nnot installed\n`,
    );
    return 1;
  }
  const allReady =
    status.objects.length > 0 &&
    status.objects.every((object) => object.ready === "True" && !object.suspended);
  context.reporter.result(
    { environment, source, state: allReady ? "ready" : "not-ready", objects: status.objects },
    `${heading}\n${formatStatusTable(status.objects)}\n`,
  );
  return allReady ? 0 : 1;
}
