import { B, type JsonStruct, l, o, p, r, S, st, withFields } from "../schema.js";
import * as v3_3 from "../v3_3_0/types.js";

/**
 * Ignition spec 3.2.0 (`config/v3_2/types/schema.go`), what fcos 1.3.0 produces: 3.3.0
 * without kernel arguments, with pointers for `clevis` and `clevis.custom` (whose `config`
 * and `pin` are plain, always-printed strings), and plain strings for a link's target and a
 * raid's level (always printed, as are a raid's devices).
 */
const custom = st("Custom", [r("config", S), p("needsNetwork", B), r("pin", S)]);
const clevis = withFields(v3_3.clevis, { replace: [p("custom", custom)] });
const luks = withFields(v3_3.luks, { replace: [p("clevis", clevis)] });
const link = withFields(v3_3.link, { replace: [r("target", S)] });
const raid = withFields(v3_3.raid, { replace: [r("devices", l(S)), r("level", S)] });
const storage = withFields(v3_3.storage, {
  replace: [o("links", l(link), { dupGroup: "Node" }), o("luks", l(luks)), o("raid", l(raid))],
});
const ignition = withFields(v3_3.ignition, { replace: [o("version", S)] });

export const config: JsonStruct = st("Config", [
  r("ignition", ignition),
  o("passwd", v3_3.passwd),
  o("storage", storage),
  o("systemd", v3_3.systemd),
]);
