import { BaseTranslatorV0_6Exp, configSchema, sourceChecks } from "../../../base/v0_6_exp/index.js";
import { ignition3_5_0_exp } from "../../../ignition/v3_5_0_exp/index.js";
import type { SpecVersion } from "../../spec-version.js";

/**
 * Flatcar 1.2.0-experimental: Butane base v0_6_exp, producing Ignition 3.5.0-experimental.
 * Unlike 1.0.0 and 1.1.0 it forbids no field, so LUKS volumes may use clevis (TPM2, Tang),
 * as in Flatcar's disk encryption guide.
 */
export const flatcar1_2_0_exp: SpecVersion = {
  variant: "flatcar",
  version: "1.2.0-experimental",
  schema: configSchema,
  sourceChecks,
  ignition: ignition3_5_0_exp,
  translate: (config, options) =>
    new BaseTranslatorV0_6Exp({ ...options, ignition: ignition3_5_0_exp }).translate(config),
  filters: [],
};
