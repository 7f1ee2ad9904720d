import type { ExtraNodeUnit } from "../nodes/index.js";
import { fluxHandoverScript, fluxHandoverUnit } from "../nodes/index.js";
import {
  BOOTSTRAP_PATHS,
  type BootstrapFile,
  type GitopsBootstrapOptions,
  gitopsBootstrapFiles,
} from "./bootstrap.js";

/**
 * Flux's hand-over to itself. k3s's deploy controller re-applies every file of its manifests
 * directory at every start of k3s with `force`, and its three-way merge sets every field a
 * manifest names back to the manifest's value (k3s `pkg/deploy/controller.go`; rancher/wrangler
 * v3.7.1 `pkg/apply/desiredset_compare.go`): the bootstrap's `install.yaml` would roll back a
 * Flux upgraded from Git at every restart of the bootstrapping server.
 *
 * So that machine also gets a oneshot unit that, on every boot until it is done, waits
 * (bounded, logging each try) until Flux's controllers are Available and the sync objects exist,
 * then creates `<file>.skip` for every bootstrap file. k3s ignores a file with a `.skip` twin,
 * and creating it after the objects exist "will not remove or otherwise modify" them
 * (https://docs.k3s.io/installation/packaged-components). From then on Flux owns itself.
 *
 * All three files are skipped, the sync (GitRepository and Kustomization `flux-system`) and the
 * deploy key too, not only the install: the bootstrap is a one-time install, as `flux bootstrap`
 * is. Otherwise the first server would reset `flux-system` to its first-boot settings at every
 * restart — but only while that one machine lives, since a rebuilt first server joins and
 * carries no bootstrap at all. Changing the repository of a running cluster is done in the
 * cluster (and in Git); the environment's `gitops` settings seed a new cluster.
 */

export const HANDOVER_PATHS = {
  script: "/opt/bin/homelab-flux-handover",
  unit: "homelab-flux-handover.service",
  /** The unit's condition: it exists once the hand-over is done. */
  marker: `${BOOTSTRAP_PATHS.fluxInstall}.skip`,
} as const;

export interface FluxHandover {
  readonly files: readonly BootstrapFile[];
  readonly units: readonly ExtraNodeUnit[];
}

/** The script and unit of the hand-over, for the bootstrapping machine of a GitOps environment. */
export function fluxHandover(): FluxHandover {
  return {
    files: [{ path: HANDOVER_PATHS.script, mode: 0o755, contents: fluxHandoverScript() }],
    units: [{ name: HANDOVER_PATHS.unit, enabled: true, contents: fluxHandoverUnit() }],
  };
}

/**
 * Everything the bootstrapping machine of an environment gets for GitOps: the bootstrap files
 * (`gitopsBootstrapFiles`) and, with them, the hand-over. Nothing without a `gitops` section.
 */
export function gitopsBootstrapMachine(options: GitopsBootstrapOptions): FluxHandover {
  const files = gitopsBootstrapFiles(options);
  if (files.length === 0) return { files: [], units: [] };
  const handover = fluxHandover();
  return { files: [...files, ...handover.files], units: handover.units };
}
