import type { JsonStruct } from "./schema.js";
import type { IgnitionRules } from "./validate.js";

/** An Ignition config version: its types (for output and duplicate checks) and its rules. */
export interface IgnitionSpec {
  readonly version: string;
  readonly type: JsonStruct;
  readonly rules: IgnitionRules;
}
