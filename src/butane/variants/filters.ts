import type { PathElement } from "../diagnostics.js";
import type { IgnObject, IgnValue } from "../ignition/schema.js";
import type { FieldFilter } from "./spec-version.js";

/** Go's reflect IsZero for a decoded value: nothing set anywhere inside. */
function isZero(value: IgnValue): boolean {
  if (value === undefined) return true;
  if (Array.isArray(value)) return false;
  if (typeof value === "object") return Object.values(value).every(isZero);
  return value === "" || value === 0 || value === false;
}

/** `storage.luks.clevis`: clevis is not supported by this variant (e.g. flatcar before 1.2). */
export const noClevis: FieldFilter = {
  message: "clevis is not supported in this spec version",
  find(config: IgnObject): PathElement[][] {
    const storage = config.storage as IgnObject | undefined;
    const luks = Array.isArray(storage?.luks) ? (storage.luks as IgnObject[]) : [];
    const found: PathElement[][] = [];
    luks.forEach((l, i) => {
      if (!isZero(l.clevis)) found.push(["storage", "luks", i, "clevis"]);
    });
    return found;
  },
};
