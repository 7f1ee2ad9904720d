import { configSchema } from "../../../base/v0_5/schema.js";
import { BaseTranslatorV0_5 } from "../../../base/v0_5/translate.js";
import { sourceChecks } from "../../../base/v0_5/validate.js";
import { ignition3_4_0 } from "../../../ignition/v3_4_0/index.js";
import { fcosSpec } from "../shared/spec.js";

/**
 * Fedora CoreOS 1.5.0: base v0_5 plus `boot_device` (with `luks.discard`) and `grub.users`,
 * Ignition 3.4.0.
 */
export const fcos1_5_0 = fcosSpec({
  version: "1.5.0",
  features: { bootDevice: true, pkg: "v1_5", grub: true, s390x: false },
  base: { schema: configSchema, checks: sourceChecks, translator: BaseTranslatorV0_5 },
  ignition: ignition3_4_0,
});
