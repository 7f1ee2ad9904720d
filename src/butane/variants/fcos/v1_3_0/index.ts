import { BaseTranslatorV0_3, configSchema, sourceChecks } from "../../../base/v0_3/index.js";
import { ignition3_2_0 } from "../../../ignition/v3_2_0/index.js";
import { fcosSpec } from "../shared/spec.js";

/** Fedora CoreOS 1.3.0: base v0_3 plus `boot_device` (LUKS with TPM2/Tang, mirroring), Ignition 3.2.0. */
export const fcos1_3_0 = fcosSpec({
  version: "1.3.0",
  features: { bootDevice: true, pkg: "v1_3", grub: false, s390x: false },
  base: { schema: configSchema, checks: sourceChecks, translator: BaseTranslatorV0_3 },
  ignition: ignition3_2_0,
});
