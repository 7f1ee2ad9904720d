import type { Environment } from "../environment/schema.js";

export type UpdateStrategy = "reboot" | "off";

/**
 * Who reboots nodes into staged Flatcar updates, with the default filled in: what the
 * environment says, else "off" when it is `offline` (update-engine cannot reach Flatcar's
 * update server, and kured's chart comes from kubereboot.github.io), else "reboot".
 */
export function updateStrategy(environment: Pick<Environment, "updates" | "offline">): UpdateStrategy {
  return environment.updates.strategy ?? (environment.offline ? "off" : "reboot");
}
