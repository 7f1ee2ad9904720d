import { execFileSync } from "node:child_process";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";
import { toolPath } from "../support/real-tools.js";

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

/**
 * `kubectl kustomize <repo>/<path>`, parsed into objects; throws with kustomize's message. Tests
 * using it declare "kubectl" (support/real-tools.ts).
 */
export function kustomize(path: string): KubeObject[] {
  const output = execFileSync(toolPath("kubectl"), ["kustomize", resolve(repositoryRoot, path)], {
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
