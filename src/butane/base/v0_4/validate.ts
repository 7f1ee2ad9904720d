import type { StructChecks } from "../../schema/walk.js";
import { checkDecimalMode } from "../modes.js";

/** Butane's own checks on the source config for base v0_4 (base/v0_4/validate.go). */
export const ERR_TOO_MANY_RESOURCE_SOURCES = "only one of the following can be set: inline, local, source";
export const ERR_MOUNT_UNIT_NO_PATH = "path is required if with_mount_unit is true and format is not swap";
export const ERR_MOUNT_UNIT_NO_FORMAT = "format is required if with_mount_unit is true";
export const ERR_TREE_NO_LOCAL = "local is required";

export const sourceChecks: StructChecks = {
  Resource(value, path, report) {
    let field: string | undefined;
    let sources = 0;
    for (const key of ["local", "inline", "source"]) {
      if (value[key] !== undefined) {
        sources++;
        field = key;
      }
    }
    if (sources > 1 && field) report.error([...path, field], ERR_TOO_MANY_RESOURCE_SOURCES);
  },
  Filesystem(value, path, report) {
    if (value.with_mount_unit !== true) return;
    const format = value.format;
    if (format === undefined || format === "") report.error([...path, "format"], ERR_MOUNT_UNIT_NO_FORMAT);
    else if (format !== "swap" && (value.path === undefined || value.path === ""))
      report.error([...path, "path"], ERR_MOUNT_UNIT_NO_PATH);
  },
  Directory(value, path, report) {
    if (typeof value.mode === "number") {
      const warning = checkDecimalMode(value.mode, true);
      if (warning) report.warn([...path, "mode"], warning);
    }
  },
  File(value, path, report) {
    if (typeof value.mode === "number") {
      const warning = checkDecimalMode(value.mode, false);
      if (warning) report.warn([...path, "mode"], warning);
    }
  },
  Tree(value, path, report) {
    if (value.local === undefined || value.local === "") report.error(path, ERR_TREE_NO_LOCAL);
  },
};
