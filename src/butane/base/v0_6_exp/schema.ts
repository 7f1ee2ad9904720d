import { withPackage } from "../../schema/types.js";
import { configSchema as v0_5 } from "../v0_5/schema.js";

/**
 * Butane base schema v0_6_exp (flatcar 1.2.0-experimental, fcos 1.6.0-experimental): in
 * Butane 0.22 the same fields as v0_5, producing Ignition 3.5.0-experimental.
 */
export const configSchema = withPackage(v0_5, "v0_6_exp");
