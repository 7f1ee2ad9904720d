import type { ObservableMiddleware } from "@kubernetes/client-node";

/** The Kubernetes client is large (hundreds of modules): load it only when status is read. */
type KubernetesClient = typeof import("@kubernetes/client-node");

/**
 * Flux's objects and whether they are Ready, read from the Kubernetes API with the
 * environment's kubeconfig. An I/O module: the CLI passes the kubeconfig path and timeout.
 */

export type Readiness = "True" | "False" | "Unknown";

export interface FluxObjectStatus {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  /** The Ready condition; Unknown while a change has not been reconciled yet. */
  readonly ready: Readiness;
  readonly reason?: string;
  readonly message?: string;
  /** What is applied or fetched: a Git revision, a chart version. */
  readonly revision?: string;
  readonly suspended: boolean;
}

export type FluxStatus =
  /** The API did not answer (or refused the credentials): nothing is known. */
  | { readonly state: "unreachable"; readonly reason: string }
  /** The API answered, but Flux's CRDs are not there (yet): the bootstrap has not run. */
  | { readonly state: "not-installed" }
  | { readonly state: "reported"; readonly objects: readonly FluxObjectStatus[] };

interface FluxKind {
  readonly kind: string;
  readonly group: string;
  readonly version: string;
  readonly plural: string;
}

/** The kinds `homelab gitops status` shows, on the API versions Flux 2.9 serves. */
export const FLUX_KINDS: readonly FluxKind[] = [
  { kind: "GitRepository", group: "source.toolkit.fluxcd.io", version: "v1", plural: "gitrepositories" },
  { kind: "OCIRepository", group: "source.toolkit.fluxcd.io", version: "v1", plural: "ocirepositories" },
  { kind: "HelmRepository", group: "source.toolkit.fluxcd.io", version: "v1", plural: "helmrepositories" },
  { kind: "Kustomization", group: "kustomize.toolkit.fluxcd.io", version: "v1", plural: "kustomizations" },
  { kind: "HelmRelease", group: "helm.toolkit.fluxcd.io", version: "v2", plural: "helmreleases" },
];

export interface ReadFluxStatusOptions {
  /** The environment's kubeconfig (`~/.kube/homelab-<env>.yaml`). */
  readonly kubeconfigPath: string;
  /** Per request; an API that does not answer within it counts as unreachable. Default 5000. */
  readonly timeoutMs?: number;
}

interface Condition {
  readonly type?: unknown;
  readonly status?: unknown;
  readonly reason?: unknown;
  readonly message?: unknown;
}

interface FluxObject {
  readonly metadata?: {
    readonly name?: unknown;
    readonly namespace?: unknown;
    readonly generation?: unknown;
  };
  readonly spec?: { readonly suspend?: unknown; readonly type?: unknown };
  readonly status?: {
    readonly observedGeneration?: unknown;
    readonly conditions?: readonly Condition[];
    readonly artifact?: { readonly revision?: unknown };
    readonly lastAppliedRevision?: unknown;
    readonly lastAttemptedRevision?: unknown;
  };
}

const text = (value: unknown): string | undefined =>
  typeof value === "string" && value !== "" ? value : undefined;

/** One object's readiness, as `flux get` reports it (kstatus: stale status is not Ready yet). */
export function objectStatus(kind: string, object: FluxObject): FluxObjectStatus {
  const name = text(object.metadata?.name) ?? "";
  const namespace = text(object.metadata?.namespace) ?? "";
  const suspended = object.spec?.suspend === true;
  const status = object.status;
  const revision =
    text(status?.artifact?.revision) ??
    text(status?.lastAppliedRevision) ??
    text(status?.lastAttemptedRevision);
  const base = { kind, namespace, name, suspended, ...(revision === undefined ? {} : { revision }) };
  if (kind === "HelmRepository" && object.spec?.type === "oci") {
    // OCI Helm repositories are not reconciled: Flux gives them no Ready condition.
    return { ...base, ready: "True", reason: "Static" };
  }
  const ready = status?.conditions?.find((condition) => condition.type === "Ready");
  const generation = typeof object.metadata?.generation === "number" ? object.metadata.generation : undefined;
  const observed = typeof status?.observedGeneration === "number" ? status.observedGeneration : undefined;
  if (ready === undefined) return { ...base, ready: "Unknown", reason: "NotReconciled" };
  const reason = text(ready.reason);
  const message = text(ready.message);
  const details = {
    ...(reason === undefined ? {} : { reason }),
    ...(message === undefined ? {} : { message }),
  };
  if (generation !== undefined && observed !== undefined && observed < generation) {
    return { ...base, ...details, ready: "Unknown", reason: "Progressing" };
  }
  const value: Readiness = ready.status === "True" ? "True" : ready.status === "False" ? "False" : "Unknown";
  return { ...base, ...details, ready: value };
}

/** Aborts each request after `ms`: an unreachable API must not hang the command. */
function timeoutMiddleware(client: KubernetesClient, ms: number): ObservableMiddleware {
  return {
    pre: (context) => {
      context.setSignal(AbortSignal.timeout(ms));
      return new client.Observable(Promise.resolve(context));
    },
    post: (context) => new client.Observable(Promise.resolve(context)),
  };
}

function describe(client: KubernetesClient, error: unknown): string {
  if (error instanceof client.ApiException) {
    if (error.code === 401 || error.code === 403)
      return `the API refused the kubeconfig's credentials (HTTP ${error.code})`;
    return `the API answered HTTP ${error.code}`;
  }
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    if (error.name === "AbortError" || error.name === "TimeoutError" || code === "ETIMEDOUT")
      return "the API did not answer in time";
    return typeof code === "string" ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}

/**
 * Lists every Flux source, Kustomization and HelmRelease with its readiness. Never throws for
 * cluster trouble: an API that cannot be reached or read is `unreachable`, one without Flux's
 * CRDs is `not-installed`.
 */
export async function readFluxStatus(options: ReadFluxStatusOptions): Promise<FluxStatus> {
  const client = await import("@kubernetes/client-node");
  const describeError = (error: unknown) => describe(client, error);
  const config = new client.KubeConfig();
  try {
    config.loadFromFile(options.kubeconfigPath);
  } catch (error) {
    return { state: "unreachable", reason: `cannot read ${options.kubeconfigPath}: ${describeError(error)}` };
  }
  if (config.getCurrentCluster() === null) {
    return { state: "unreachable", reason: `${options.kubeconfigPath} names no current cluster` };
  }
  const api = config.makeApiClient(client.CustomObjectsApi);
  const requestOptions = {
    middleware: [timeoutMiddleware(client, options.timeoutMs ?? 5000)],
    middlewareMergeStrategy: "append" as const,
  };

  type KindResult =
    | { readonly kind: string; readonly outcome: "listed"; readonly objects: readonly FluxObjectStatus[] }
    | { readonly kind: string; readonly outcome: "missing" }
    | { readonly kind: string; readonly outcome: "failed"; readonly reason: string };

  const results = await Promise.all(
    FLUX_KINDS.map(async (fluxKind): Promise<KindResult> => {
      try {
        const list: unknown = await api.listClusterCustomObject(
          { group: fluxKind.group, version: fluxKind.version, plural: fluxKind.plural },
          requestOptions,
        );
        const items = (list as { items?: unknown }).items;
        const objects = Array.isArray(items)
          ? (items as FluxObject[]).map((item) => objectStatus(fluxKind.kind, item))
          : [];
        return { kind: fluxKind.kind, outcome: "listed", objects };
      } catch (error) {
        if (error instanceof client.ApiException && error.code === 404)
          return { kind: fluxKind.kind, outcome: "missing" };
        return { kind: fluxKind.kind, outcome: "failed", reason: describeError(error) };
      }
    }),
  );

  for (const result of results) {
    if (result.outcome === "failed") return { state: "unreachable", reason: result.reason };
  }
  const listed = (kind: string): boolean =>
    results.some((result) => result.kind === kind && result.outcome === "listed");
  // GitRepository and Kustomization are the bootstrap's own kinds: without them there is no Flux.
  if (!listed("GitRepository") || !listed("Kustomization")) return { state: "not-installed" };
  const order = (kind: string): number => FLUX_KINDS.findIndex((candidate) => candidate.kind === kind);
  const objects = results
    .flatMap((result) => (result.outcome === "listed" ? result.objects : []))
    .sort(
      (a, b) =>
        order(a.kind) - order(b.kind) ||
        a.namespace.localeCompare(b.namespace) ||
        a.name.localeCompare(b.name),
    );
  return { state: "reported", objects };
}
