import { BaseTranslatorV0_6Exp, configSchema, sourceChecks } from "../../../base/v0_6_exp/index.js";
import { ignition3_5_0_exp } from "../../../ignition/v3_5_0_exp/index.js";
import { fcosSpec } from "../shared/spec.js";

/**
 * Fedora CoreOS 1.6.0-experimental: 1.5.0 on base v0_6_exp plus the s390x boot layouts
 * (`boot_device.luks.device`), a warning for partitions reused by label and mount units only
 * under /etc or /var; Ignition 3.5.0-experimental.
 */
export const fcos1_6_0_exp = fcosSpec({
  version: "1.6.0-experimental",
  features: { bootDevice: true, pkg: "v1_6_exp", grub: true, s390x: true },
  base: { schema: configSchema, checks: sourceChecks, translator: BaseTranslatorV0_6Exp },
  ignition: ignition3_5_0_exp,
});
