import { B, l, o, p, S, withFields } from "../schema.js";
import * as v3_3 from "../v3_3_0/types.js";

/**
 * Ignition spec 3.4.0: 3.3.0 plus LUKS `discard` and `openOptions`, and Tang
 * `advertisement` (`config/v3_4/types/schema.go`).
 */
const tang = { ...v3_3.tang, fields: [p("advertisement", S), ...v3_3.tang.fields] };
const clevis = withFields(v3_3.clevis, { replace: [o("tang", l(tang))] });
const luks = withFields(
  withFields(withFields(v3_3.luks, { replace: [o("clevis", clevis)] }), {
    after: "device",
    add: [p("discard", B)],
  }),
  // Luks.IgnoreDuplicates names only Options: repeated open options are duplicates.
  { after: "name", add: [o("openOptions", l(S))] },
);
const storage = withFields(v3_3.storage, { replace: [o("luks", l(luks))] });

export const config = v3_3.buildConfig({
  ignition: v3_3.ignition,
  kernelArguments: v3_3.kernelArguments,
  passwd: v3_3.passwd,
  storage,
  systemd: v3_3.systemd,
});
