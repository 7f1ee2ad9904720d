import { fcos1_2_0 } from "./fcos/v1_2_0/index.js";
import { fcos1_3_0 } from "./fcos/v1_3_0/index.js";
import { fcos1_4_0 } from "./fcos/v1_4_0/index.js";
import { fcos1_5_0 } from "./fcos/v1_5_0/index.js";
import { fcos1_6_0_exp } from "./fcos/v1_6_0_exp/index.js";
import { flatcar1_0_0 } from "./flatcar/v1_0_0/index.js";
import { flatcar1_1_0 } from "./flatcar/v1_1_0/index.js";
import { flatcar1_2_0_exp } from "./flatcar/v1_2_0_exp/index.js";
import type { SpecVersion } from "./spec-version.js";

/** Every supported spec version; adding one is adding its folder and a line here. */
export const SPEC_VERSIONS: readonly SpecVersion[] = [
  fcos1_2_0,
  fcos1_3_0,
  fcos1_4_0,
  fcos1_5_0,
  fcos1_6_0_exp,
  flatcar1_0_0,
  flatcar1_1_0,
  flatcar1_2_0_exp,
];

export function findSpecVersion(variant: string, version: string): SpecVersion | undefined {
  return SPEC_VERSIONS.find((s) => s.variant === variant && s.version === version);
}

export type { SpecVersion } from "./spec-version.js";
