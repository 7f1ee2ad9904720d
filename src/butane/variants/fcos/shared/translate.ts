import { mergeTranslatedConfigs } from "../../../base/merge.js";
import type { TranslateResult } from "../../../base/v0_4/translate.js";
import type { IgnitionSpec } from "../../../ignition/spec.js";
import type { DecodedStruct } from "../../../yaml/decode.js";
import { ERR_WRONG_PARTITION_NUMBER, renderBootDevice, wrongPartitionNumbers } from "./boot-device.js";
import { renderGrubUsers } from "./grub.js";
import type { FcosFeatures } from "./schema.js";

/**
 * The fcos steps after the base translation (ToIgn3_xUnvalidated in config/fcos/v1_x): merge
 * the boot-disk layout under the config, warn about reserved partition labels with other
 * numbers, then (1.5.0 and later) merge GRUB's user.cfg the same way.
 */
export function translateFcos(
  cfg: DecodedStruct,
  base: TranslateResult,
  ignition: IgnitionSpec,
  features: FcosFeatures,
): TranslateResult {
  if (base.report.isFatal()) return base;
  let { config, translations } = base;
  const bootDevice = renderBootDevice(cfg, { discard: features.grub });
  if (bootDevice) {
    ({ config, translations } = mergeTranslatedConfigs(
      bootDevice.config,
      bootDevice.translations,
      config,
      translations,
      ignition.type,
    ));
  }
  for (const path of wrongPartitionNumbers(config))
    base.report.warn(path, ERR_WRONG_PARTITION_NUMBER, "json");
  if (features.grub) {
    const grub = renderGrubUsers(cfg);
    ({ config, translations } = mergeTranslatedConfigs(
      grub.config,
      grub.translations,
      config,
      translations,
      ignition.type,
    ));
  }
  return { config, translations, report: base.report };
}
