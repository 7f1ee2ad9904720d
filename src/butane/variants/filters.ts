import type { PathElement } from "../diagnostics.js";
import type { IgnObject, IgnValue, JsonType } from "../ignition/schema.js";
import { clevis } from "../ignition/v3_3_0/types.js";
import type { FieldFilter } from "./spec-version.js";

/**
 * Butane's FieldFilters emptiness (config/util/filter.go): a set pointer is never empty, even
 * to `false` or `""`; a list is empty without items; a struct when every field is.
 */
function isEmpty(value: IgnValue, type: JsonType, pointer: boolean): boolean {
  if (value === undefined) return true;
  if (pointer) return false;
  switch (type.kind) {
    case "list":
      return !Array.isArray(value) || value.length === 0;
    case "struct": {
      const v = value as IgnObject;
      return type.fields.every((f) => isEmpty(v[f.name], f.type, f.pointer));
    }
    default:
      return value === "" || value === 0 || value === false;
  }
}

/** `storage.luks.clevis`: clevis is not supported by this variant (e.g. flatcar before 1.2). */
export const noClevis: FieldFilter = {
  message: "clevis is not supported in this spec version",
  find(config: IgnObject): PathElement[][] {
    const storage = config.storage as IgnObject | undefined;
    const luks = Array.isArray(storage?.luks) ? (storage.luks as IgnObject[]) : [];
    const found: PathElement[][] = [];
    luks.forEach((l, i) => {
      if (!isEmpty(l.clevis, clevis, false)) found.push(["storage", "luks", i, "clevis"]);
    });
    return found;
  },
};
