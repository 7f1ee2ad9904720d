import type { StructChecks } from "../../schema/walk.js";
import { sourceChecks as v0_4Checks } from "../v0_4/validate.js";

/** Base v0_5 adds: a unit or drop-in takes `contents` or `contents_local`, not both. */
export const ERR_TOO_MANY_SYSTEMD_SOURCES = "only one of the following can be set: contents, contents_local";

export const sourceChecks: StructChecks = {
  ...v0_4Checks,
  Unit(value, path, report) {
    if (value.contents_local !== undefined && value.contents !== undefined)
      report.error([...path, "contents_local"], ERR_TOO_MANY_SYSTEMD_SOURCES);
  },
  Dropin(value, path, report) {
    if (value.contents_local !== undefined && value.contents !== undefined)
      report.error([...path, "contents_local"], ERR_TOO_MANY_SYSTEMD_SOURCES);
  },
};
