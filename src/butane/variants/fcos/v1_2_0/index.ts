import { BaseTranslatorV0_3, configSchema, sourceChecks } from "../../../base/v0_3/index.js";
import { ignition3_2_0 } from "../../../ignition/v3_2_0/index.js";
import { fcosSpec } from "../shared/spec.js";

/**
 * Fedora CoreOS 1.2.0: base v0_3 alone (no `boot_device` yet), Ignition 3.2.0; it already warns
 * about reserved partition labels with other numbers.
 */
export const fcos1_2_0 = fcosSpec({
  version: "1.2.0",
  features: { bootDevice: false, pkg: "v1_2", grub: false, s390x: false },
  base: { schema: configSchema, checks: sourceChecks, translator: BaseTranslatorV0_3 },
  ignition: ignition3_2_0,
});
