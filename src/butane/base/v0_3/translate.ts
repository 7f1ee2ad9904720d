import { BaseTranslator } from "../v0_4/translate.js";

/**
 * Base v0_3 translation (base/v0_3/translate.go): v0_4's, except that a swap filesystem with
 * `with_mount_unit` gets a `.mount` unit (swap units came with v0_4).
 */
export class BaseTranslatorV0_3 extends BaseTranslator {
  protected override readonly swapUnits: boolean = false;
}
