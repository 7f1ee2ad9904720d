import type { IgnitionSpec } from "../spec.js";
import { config } from "./types.js";

/** Ignition spec 3.3.0 (what flatcar 1.0.0 produces; Ignition 2.14 validates it). */
export const ignition3_3_0: IgnitionSpec = {
  version: "3.3.0",
  type: config,
  rules: {
    schemes: new Set(["http", "https", "tftp", "s3", "gs", "data"]),
    warnSpecialModeBits: true,
    linkTargetRequired: true,
    raidLevelRequired: true,
    filesystemFormats: new Set(["ext4", "btrfs", "xfs", "swap", "vfat", "none"]),
    clevisPointers: false,
  },
};
