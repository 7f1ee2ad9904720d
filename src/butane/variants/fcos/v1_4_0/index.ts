import { configSchema } from "../../../base/v0_4/schema.js";
import { BaseTranslator } from "../../../base/v0_4/translate.js";
import { sourceChecks } from "../../../base/v0_4/validate.js";
import { ignition3_3_0 } from "../../../ignition/v3_3_0/index.js";
import { fcosSpec } from "../shared/spec.js";

/** Fedora CoreOS 1.4.0: base v0_4 (kernel arguments, swap units) plus `boot_device`, Ignition 3.3.0. */
export const fcos1_4_0 = fcosSpec({
  version: "1.4.0",
  features: { bootDevice: true, pkg: "v1_4", grub: false, s390x: false },
  base: { schema: configSchema, checks: sourceChecks, translator: BaseTranslator },
  ignition: ignition3_3_0,
});
