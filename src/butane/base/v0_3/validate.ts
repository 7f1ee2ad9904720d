import type { StructChecks } from "../../schema/walk.js";
import {
  ERR_MOUNT_UNIT_NO_FORMAT,
  ERR_MOUNT_UNIT_NO_PATH,
  sourceChecks as v0_4Checks,
} from "../v0_4/validate.js";

const nilOrEmpty = (v: unknown): boolean => v === undefined || v === "";

/** Base v0_3 checks: v0_4's, but a mount unit always needs a path (swap too), then a format. */
export const sourceChecks: StructChecks = {
  ...v0_4Checks,
  Filesystem(value, path, report) {
    if (value.with_mount_unit !== true) return;
    if (nilOrEmpty(value.path)) report.error([...path, "path"], ERR_MOUNT_UNIT_NO_PATH);
    if (nilOrEmpty(value.format)) report.error([...path, "format"], ERR_MOUNT_UNIT_NO_FORMAT);
  },
};
