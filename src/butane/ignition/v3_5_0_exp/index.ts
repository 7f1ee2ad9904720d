import type { IgnitionSpec } from "../spec.js";
import { ignition3_4_0 } from "../v3_4_0/index.js";

/**
 * Ignition spec 3.5.0-experimental as vendored by Butane 0.22 (Ignition 2.18): the types and
 * rules of 3.4.0 under another version string.
 */
export const ignition3_5_0_exp: IgnitionSpec = {
  ...ignition3_4_0,
  version: "3.5.0-experimental",
};
