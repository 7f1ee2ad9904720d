import { configSchema } from "../../../base/v0_4/schema.js";
import { BaseTranslator } from "../../../base/v0_4/translate.js";
import { sourceChecks } from "../../../base/v0_4/validate.js";
import { ignition3_3_0 } from "../../../ignition/v3_3_0/index.js";
import { noClevis } from "../../filters.js";
import type { SpecVersion } from "../../spec-version.js";

/** Flatcar 1.0.0: Butane base v0_4 without clevis, producing Ignition 3.3.0. */
export const flatcar1_0_0: SpecVersion = {
  variant: "flatcar",
  version: "1.0.0",
  schema: configSchema,
  sourceChecks,
  ignition: ignition3_3_0,
  translate: (config, options) =>
    new BaseTranslator({ ...options, ignition: ignition3_3_0 }).translate(config),
  filters: [noClevis],
};
