import { BOOL, field, ptr, STRING, struct, withPackage } from "../../schema/types.js";
import * as v0_4 from "../v0_4/schema.js";

/**
 * Butane base schema v0_3 (fcos 1.3.0, Ignition 3.2.0): v0_4 before kernel arguments, with
 * `clevis` and `clevis.custom` as optional structs (custom's `config` and `pin` plain strings)
 * and plain strings for a link's target and a raid's level.
 */
const PKG = "v0_3";

const custom = struct(`${PKG}.Custom`, [
  field("config", STRING),
  ptr("needs_network", BOOL),
  field("pin", STRING),
]);
const clevis = struct(
  `${PKG}.Clevis`,
  v0_4.clevis.fields.map((f) => (f.key === "custom" ? ptr("custom", custom) : f)),
);
const luks = struct(
  `${PKG}.Luks`,
  v0_4.luks.fields.map((f) => (f.key === "clevis" ? ptr("clevis", clevis) : f)),
);

export const configSchema = withPackage(
  v0_4.buildConfigSchema(PKG, {
    resource: v0_4.resource,
    luks,
    passwdUser: v0_4.passwdUser,
    unit: v0_4.unit,
    v0_3: true,
  }),
  PKG,
);
