import { parse, stringify } from "yaml";
import { HomelabError } from "../errors/index.js";

/**
 * The kubeconfig k3s writes on a server (`/etc/rancher/k3s/k3s.yaml`) names everything
 * `default` and points at `https://127.0.0.1:6443`. homelab rewrites it for use from the host:
 * the cluster, user and context become `homelab-<env>` and the server the first server's
 * address. Credentials and the CA are kept as they are. Pure text in, text out.
 */

type Entry = Record<string, unknown> & { name?: unknown };
interface KubeconfigDocument {
  apiVersion?: unknown;
  kind?: unknown;
  clusters?: unknown;
  users?: unknown;
  contexts?: unknown;
  "current-context"?: unknown;
  preferences?: unknown;
  [key: string]: unknown;
}

export interface KubeconfigRewrite {
  /** e.g. `https://192.168.140.10:6443`. */
  readonly server: string;
  /** Name of the cluster, user and context: `homelab-<env>`. */
  readonly name: string;
  /** Where the text came from, for messages (e.g. `k3s-dev-server-1:/etc/rancher/k3s/k3s.yaml`). */
  readonly source?: string;
}

function invalid(source: string | undefined, problem: string): HomelabError {
  return new HomelabError(
    "kubeconfig-fetch-failed",
    `the kubeconfig from ${source ?? "the server"} is not usable: ${problem}`,
    {
      where: source === undefined ? undefined : { file: source },
      fix: "Check that k3s runs on the first server (`homelab ssh <server> -- systemctl status k3s`) and try `homelab kubeconfig` again.",
    },
  );
}

function entries(
  document: KubeconfigDocument,
  key: "clusters" | "users" | "contexts",
  source: string | undefined,
): Entry[] {
  const value = document[key];
  if (!Array.isArray(value) || value.length === 0) throw invalid(source, `no ${key}`);
  return value.filter((item): item is Entry => typeof item === "object" && item !== null);
}

function inner(entry: Entry | undefined, key: string, source: string | undefined): Record<string, unknown> {
  const value = entry?.[key];
  if (typeof value !== "object" || value === null) throw invalid(source, `an entry has no ${key}`);
  return value as Record<string, unknown>;
}

function parseDocument(text: string, source: string | undefined): KubeconfigDocument {
  let document: unknown;
  try {
    document = parse(text);
  } catch (error) {
    throw invalid(source, `not YAML (${(error as Error).message.split("\n")[0]})`);
  }
  if (typeof document !== "object" || document === null || Array.isArray(document))
    throw invalid(source, "not a YAML mapping");
  return document as KubeconfigDocument;
}

/** The current context's cluster, user and context, renamed and pointed at `server`. */
export function rewriteKubeconfig(text: string, rewrite: KubeconfigRewrite): string {
  const { source, name } = rewrite;
  const document = parseDocument(text, source);
  const contexts = entries(document, "contexts", source);
  const currentName =
    typeof document["current-context"] === "string" ? document["current-context"] : undefined;
  const context =
    contexts.find((c) => c.name === currentName) ?? (contexts.length === 1 ? contexts[0] : undefined);
  if (context === undefined) throw invalid(source, "no current context");
  const contextBody = inner(context, "context", source);
  const cluster = entries(document, "clusters", source).find((c) => c.name === contextBody.cluster);
  const user = entries(document, "users", source).find((u) => u.name === contextBody.user);
  if (cluster === undefined)
    throw invalid(source, `context ${String(context.name)} names a cluster that is not there`);
  if (user === undefined)
    throw invalid(source, `context ${String(context.name)} names a user that is not there`);
  const clusterBody = inner(cluster, "cluster", source);
  if (typeof clusterBody.server !== "string") throw invalid(source, "the cluster has no server");
  const result = {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name, cluster: { ...clusterBody, server: rewrite.server } }],
    users: [{ name, user: inner(user, "user", source) }],
    contexts: [{ name, context: { ...contextBody, cluster: name, user: name } }],
    "current-context": name,
    preferences: {},
  };
  return stringify(result, { lineWidth: 0 });
}

/**
 * Merges a kubeconfig made by `rewriteKubeconfig` into the user's (text or undefined when the
 * file does not exist): entries of the same name are replaced, others kept in order. The
 * user's current context is left alone unless there is none.
 */
export function mergeKubeconfig(existing: string | undefined, addition: string, name: string): string {
  const base: KubeconfigDocument =
    existing === undefined || existing.trim() === ""
      ? { apiVersion: "v1", kind: "Config" }
      : parseDocument(existing, "your kubeconfig");
  const add = parseDocument(addition, undefined);
  const merged: KubeconfigDocument = { ...base };
  for (const key of ["clusters", "users", "contexts"] as const) {
    const current = Array.isArray(base[key]) ? (base[key] as Entry[]) : [];
    const incoming = entries(add, key, undefined);
    merged[key] = [...current.filter((entry) => entry?.name !== name), ...incoming];
  }
  if (typeof merged["current-context"] !== "string" || merged["current-context"] === "")
    merged["current-context"] = name;
  merged.apiVersion ??= "v1";
  merged.kind ??= "Config";
  return stringify(merged, { lineWidth: 0 });
}

/** The context homelab creates for an environment. */
export function contextName(environment: string): string {
  return `homelab-${environment}`;
}
