import { execFileSync } from "node:child_process";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";

export const repositoryRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** A built Kubernetes object, loosely typed: tests check its shape. */
export interface KubeObject {
  readonly apiVersion?: unknown;
  readonly kind?: unknown;
  readonly metadata?: {
    readonly name?: unknown;
    readonly namespace?: unknown;
    readonly [key: string]: unknown;
  };
  readonly spec?: Record<string, unknown>;
  readonly [key: string]: unknown;
}

let checked = false;

/** Fails (never skips) when kubectl with its built-in kustomize is not installed. */
function requireKubectl(): void {
  if (checked) return;
  try {
    execFileSync("kubectl", ["version", "--client"], { stdio: "pipe" });
  } catch (error) {
    throw new Error(
      "kubectl is required for the GitOps tree tests (`kubectl kustomize`, kustomize v5): install the `kubectl` " +
        "package (Kubernetes' or Google Cloud's apt repository; Debian's old `kubernetes-client` 1.20 is too old). " +
        `Cause: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  checked = true;
}

/** `kubectl kustomize <repo>/<path>`, parsed into objects; throws with kustomize's message. */
export function kustomize(path: string): KubeObject[] {
  requireKubectl();
  const output = execFileSync("kubectl", ["kustomize", resolve(repositoryRoot, path)], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    maxBuffer: 64 * 1024 * 1024,
  });
  return parseAllDocuments(output).map((document) => {
    if (document.errors.length > 0)
      throw new Error(`${path}: unparseable YAML: ${document.errors[0]?.message}`);
    return document.toJS() as KubeObject;
  });
}
