import { createHash } from "node:crypto";

/**
 * A node's MAC address: QEMU's locally administered prefix 52:54:00 and three bytes of
 * sha256("<environment name>/<node name>"). Deterministic, so a re-render keeps every MAC (and
 * with it the DHCP reservation and the node's address); derived from names, not positions, so
 * adding a node never changes the others.
 */
export function deriveMac(environmentName: string, nodeName: string): string {
  const digest = createHash("sha256").update(`${environmentName}/${nodeName}`).digest();
  const tail = [digest[0]!, digest[1]!, digest[2]!].map((b) => b.toString(16).padStart(2, "0"));
  return ["52", "54", "00", ...tail].join(":");
}
