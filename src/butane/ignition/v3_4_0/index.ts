import type { IgnitionSpec } from "../spec.js";
import { ignition3_3_0 } from "../v3_3_0/index.js";
import { config } from "./types.js";

/** Ignition spec 3.4.0: special mode bits allowed, `arn` sources, LUKS discard/open options. */
export const ignition3_4_0: IgnitionSpec = {
  version: "3.4.0",
  type: config,
  rules: {
    ...ignition3_3_0.rules,
    schemes: new Set([...ignition3_3_0.rules.schemes, "arn"]),
    warnSpecialModeBits: false,
  },
};
