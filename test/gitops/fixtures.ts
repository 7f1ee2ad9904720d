import development from "../../environments/development.js";
import { type Environment, type EnvironmentInput, EnvironmentSchema } from "../../src/environment/schema.js";
import { planCluster } from "../../src/plan/index.js";
import type { ClusterPlan } from "../../src/plan/types.js";
import { generateSshKeyPair } from "../../src/secrets/index.js";

/** The shipped development environment with a `gitops` section. */
export function environmentWith(gitops: EnvironmentInput["gitops"]): Environment {
  return EnvironmentSchema.parse({ ...development, gitops } satisfies EnvironmentInput);
}

export function planOf(environment: Environment): ClusterPlan {
  return planCluster(environment, { file: "environments/development.ts" });
}

/** A fresh deploy key per test run (never a fixed secret in the repository). */
export const deployKey = generateSshKeyPair("flux-development@homelab");
