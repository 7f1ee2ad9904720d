import type { IgnitionSpec } from "../spec.js";
import { ignition3_3_0 } from "../v3_3_0/index.js";
import { config } from "./types.js";

/** Ignition spec 3.2.0: no `none` filesystem format, no required link target or raid level. */
export const ignition3_2_0: IgnitionSpec = {
  version: "3.2.0",
  type: config,
  rules: {
    ...ignition3_3_0.rules,
    linkTargetRequired: false,
    raidLevelRequired: false,
    filesystemFormats: new Set(["ext4", "btrfs", "xfs", "swap", "vfat"]),
    clevisPointers: true,
  },
};
