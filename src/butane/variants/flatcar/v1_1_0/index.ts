import { configSchema } from "../../../base/v0_5/schema.js";
import { BaseTranslatorV0_5 } from "../../../base/v0_5/translate.js";
import { sourceChecks } from "../../../base/v0_5/validate.js";
import { ignition3_4_0 } from "../../../ignition/v3_4_0/index.js";
import type { SpecVersion } from "../../spec-version.js";
import { flatcar1_0_0 } from "../v1_0_0/index.js";

/**
 * Flatcar 1.1.0: 1.0.0 moved to Butane base v0_5 (`ssh_authorized_keys_local`, unit and
 * drop-in `contents_local`, LUKS discard/open options), producing Ignition 3.4.0.
 */
export const flatcar1_1_0: SpecVersion = {
  ...flatcar1_0_0,
  version: "1.1.0",
  schema: configSchema,
  sourceChecks,
  ignition: ignition3_4_0,
  translate: (config, options) =>
    new BaseTranslatorV0_5({ ...options, ignition: ignition3_4_0 }).translate(config),
};
