/**
 * `homelab upgrade`: which k3s and Flatcar versions to lock next, refused when k3s's version
 * skew rules forbid it, from what each node runs (read from homelab's own state). Pure.
 */
export {
  type ComponentChange,
  type Direction,
  planUpgrade,
  type UpgradeInputs,
  type UpgradePlan,
  type UpgradeRequest,
} from "./plan.js";
export { k3sVersionOfIgnition, type RunningInputs, type RunningNode, runningNodes } from "./running.js";
export {
  compareFlatcar,
  compareK3s,
  type FlatcarVersion,
  flatcarVersionOfBaseImage,
  type K3sVersion,
  minorOf,
  parseFlatcarVersion,
  parseK3sVersion,
} from "./versions.js";
