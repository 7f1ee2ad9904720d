import { BOOL, extendStruct, field, list, ptr, STRING, struct, withPackage } from "../../schema/types.js";
import * as v0_4 from "../v0_4/schema.js";

/**
 * Butane base schema v0_5 (flatcar 1.1.0, fcos 1.5.0): v0_4 plus local files for SSH keys and
 * units, LUKS discard and open options, and Tang advertisements.
 */
const PKG = "v0_5";

const tang = extendStruct(v0_4.tang, [ptr("advertisement", STRING)]);
const clevis = struct(
  `${PKG}.Clevis`,
  v0_4.clevis.fields.map((f) => (f.key === "tang" ? field("tang", list(tang)) : f)),
);

const luks = extendStruct(
  struct(
    `${PKG}.Luks`,
    v0_4.luks.fields.map((f) => (f.key === "clevis" ? field("clevis", clevis) : f)),
  ),
  [ptr("discard", BOOL)],
  "device",
);
const luksWithOpenOptions = extendStruct(luks, [field("open_options", list(STRING))], "name");

const passwdUser = extendStruct(
  v0_4.passwdUser,
  [field("ssh_authorized_keys_local", list(STRING))],
  "ssh_authorized_keys",
);
const dropin = extendStruct(v0_4.dropin, [ptr("contents_local", STRING)], "contents");
const unit = extendStruct(
  struct(
    `${PKG}.Unit`,
    v0_4.unit.fields.map((f) => (f.key === "dropins" ? field("dropins", list(dropin)) : f)),
  ),
  [ptr("contents_local", STRING)],
  "contents",
);

export const configSchema = withPackage(
  v0_4.buildConfigSchema(PKG, {
    resource: v0_4.resource,
    luks: luksWithOpenOptions,
    passwdUser,
    unit,
  }),
  PKG,
);
