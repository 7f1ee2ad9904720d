import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { HomelabError } from "../errors/index.js";
import type { NodeRole } from "../plan/types.js";

/**
 * The Butane templates live as readable files in `butane-configs/` at the package root, next
 * to the wait-for-server script they embed. They are found by walking up from this module, so
 * the same lookup works from `src/` (tests) and from the bundled `dist/`.
 */

export const TEMPLATES_DIRECTORY = "butane-configs";

const FILES = {
  server: "k3s-server.bu",
  agent: "k3s-agent.bu",
  waitForServer: "k3s-wait-for-server.sh",
  restoreSnapshot: "k3s-restore-snapshot.sh",
  restoreUnit: "homelab-k3s-restore.service",
  fluxHandoverScript: "homelab-flux-handover.sh",
  fluxHandoverUnit: "homelab-flux-handover.service",
} as const;

let directory: string | undefined;

/** Absolute path of `butane-configs/`. */
export function templatesDirectory(): string {
  if (directory) return directory;
  let current = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(current, TEMPLATES_DIRECTORY);
    if (existsSync(join(candidate, FILES.server))) {
      directory = candidate;
      return candidate;
    }
    const parent = dirname(current);
    if (parent === current) {
      throw new HomelabError("not-built", `homelab cannot find its ${TEMPLATES_DIRECTORY}/ directory`, {
        fix: "Run homelab from its checkout (bin/homelab.js); the Butane templates are read from there.",
      });
    }
    current = parent;
  }
}

const cache = new Map<string, string>();

/** A file of butane-configs/, read once per process. */
export function readTemplate(name: string): string {
  const cached = cache.get(name);
  if (cached !== undefined) return cached;
  const text = readFileSync(join(templatesDirectory(), name), "utf8");
  cache.set(name, text);
  return text;
}

/** The Butane template of a role. */
export function roleTemplate(role: NodeRole): string {
  return readTemplate(role === "server" ? FILES.server : FILES.agent);
}

/** The exact script installed at /opt/bin/k3s-wait-for-server. */
export function waitForServerScript(): string {
  return readTemplate(FILES.waitForServer);
}

/** The exact script installed at /opt/bin/k3s-restore-snapshot (restore mode only). */
export function restoreSnapshotScript(): string {
  return readTemplate(FILES.restoreSnapshot);
}

/** The unit that holds k3s back until the snapshot is restored (restore mode only). */
export function restoreUnit(): string {
  return readTemplate(FILES.restoreUnit);
}

/** The script that hands Flux over to itself (GitOps bootstrap machine only). */
export function fluxHandoverScript(): string {
  return readTemplate(FILES.fluxHandoverScript);
}

/** The unit that runs it on every boot until the hand-over is done. */
export function fluxHandoverUnit(): string {
  return readTemplate(FILES.fluxHandoverUnit);
}
