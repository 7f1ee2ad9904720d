import { isAbsolute, relative, sep } from "node:path";
import type { NodePlan } from "../../../plan/types.js";
import type { RenderResult } from "../../../render/index.js";
import { visibleFiles } from "../../lifecycle/render.js";

/** A path as the user would type it: relative inside the working directory, `~` in the home. */
export function displayPath(path: string, cwd: string, home: string): string {
  const fromCwd = relative(cwd, path);
  if (fromCwd === "") return ".";
  if (!fromCwd.startsWith("..") && !isAbsolute(fromCwd)) return fromCwd;
  const fromHome = relative(home, path);
  if (!fromHome.startsWith("..") && !isAbsolute(fromHome)) return `~${sep}${fromHome}`;
  return path;
}

export function formatMemory(mebibytes: number): string {
  if (mebibytes % 1024 === 0) return `${mebibytes / 1024} GiB`;
  if (mebibytes > 1024) return `${(mebibytes / 1024).toFixed(1)} GiB`;
  return `${mebibytes} MiB`;
}

/** `server (bootstraps)`, `server (joins)`, `server (restores)`, `agent`: how its next machine starts k3s. */
export function roleLabel(node: NodePlan, result?: Pick<RenderResult, "rollout">): string {
  if (node.role === "agent") return node.role;
  const mode = result?.rollout.nodes.find((n) => n.name === node.name)?.next?.firstBoot.kind;
  if (mode === undefined) return node.clusterInit ? "server (bootstraps)" : "server (joins)";
  return { bootstrap: "server (bootstraps)", join: "server (joins)", restore: "server (restores)" }[mode];
}

/** Columns padded to their widest cell; the last column is not padded. */
export function table(rows: readonly (readonly string[])[], indent = "  "): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  }
  return rows.map(
    (row) =>
      indent + row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join("  "),
  );
}

export interface RenderSummaryContext {
  readonly cwd: string;
  readonly home: string;
  readonly imagePresent: boolean;
}

/** What `homelab render` prints: where it wrote, the nodes, and what comes next. */
export function renderSummary(result: RenderResult, context: RenderSummaryContext): string {
  const environment = result.plan.environment;
  const show = (path: string) => displayPath(path, context.cwd, context.home);
  const count = (prefix: string) => result.files.filter((file) => file.startsWith(prefix)).length;
  const lines = [
    `Rendered ${environment.name} (${result.environmentFile}): ${visibleFiles(result.files).length} files into ${show(result.outDir)}`,
    ...table([
      ["NODE", "ROLE", "ADDRESS", "MAC", "VCPU", "MEMORY", "DISK"],
      ...result.plan.nodes.map((node) => [
        node.name,
        roleLabel(node, result),
        node.address,
        node.mac,
        String(node.vcpu),
        formatMemory(node.memoryMiB),
        `${node.diskGiB} GiB`,
      ]),
    ]),
    "",
    ...table([
      [
        "files",
        `main.tf.json, ignition/<node>.ign ×${count("ignition/")}, butane/<node>.bu ×${count("butane/")}`,
      ],
      ["state", `${show(result.stateDir)} (k3s token, SSH keys, OpenTofu state)`],
      [
        "image",
        `Flatcar ${result.versions.flatcar.channel} ${result.versions.flatcar.version}: ${show(result.flatcarImage)}` +
          (context.imagePresent ? "" : ` (not downloaded yet: \`homelab image ${environment.name}\`)`),
      ],
      ["k3s", result.versions.k3s.version],
      ["api", `https://${result.plan.network.registrationAddress}:6443 (registration address, kube-vip)`],
    ]),
    "",
    result.nameMismatch
      ? `Next: give ${result.environmentFile} its own name (see the warning above); until then up, apply, destroy and replace refuse it.`
      : `Next: \`homelab plan ${environment.name}\` shows what OpenTofu would change.`,
  ];
  return `${lines.join("\n")}\n`;
}

/** The `--json` result event: everything the summary says, as data. */
export function renderResultData(result: RenderResult, imagePresent: boolean): Record<string, unknown> {
  return {
    environment: result.plan.environment.name,
    file: result.environmentFile,
    outDir: result.outDir,
    stateDir: result.stateDir,
    files: result.files,
    image: { path: result.flatcarImage, present: imagePresent, ...result.versions.flatcar },
    k3s: result.versions.k3s.version,
    registrationAddress: result.plan.network.registrationAddress,
    nodes: result.plan.nodes.map((node) => ({
      name: node.name,
      role: node.role,
      clusterInit: node.clusterInit,
      firstBoot: result.rollout.nodes.find((n) => n.name === node.name)?.next?.firstBoot.kind ?? null,
      address: node.address,
      mac: node.mac,
      vcpu: node.vcpu,
      memoryMiB: node.memoryMiB,
      diskGiB: node.diskGiB,
    })),
    warnings: result.warnings,
  };
}
