import type { TranslateOptions, TranslateResult } from "../base/v0_4/translate.js";
import type { PathElement } from "../diagnostics.js";
import type { IgnObject } from "../ignition/schema.js";
import type { IgnitionSpec } from "../ignition/spec.js";
import type { StructSpec } from "../schema/types.js";
import type { StructChecks } from "../schema/walk.js";
import type { DecodedStruct } from "../yaml/decode.js";

/** A field the spec version forbids in the output, with the reference's error for it. */
export interface FieldFilter {
  /** Finds the offending JSON paths in a generated config. */
  readonly find: (config: IgnObject) => PathElement[][];
  readonly message: string;
}

/**
 * One Butane spec version (`variant` + `version`): the schema it accepts, its own checks on
 * the source, how it translates, the fields it forbids, and the Ignition version it targets.
 * A new spec version is a new folder under `variants/` exporting one of these.
 */
export interface SpecVersion {
  readonly variant: string;
  readonly version: string;
  readonly schema: StructSpec;
  readonly sourceChecks: StructChecks;
  readonly ignition: IgnitionSpec;
  readonly translate: (config: DecodedStruct, options: Omit<TranslateOptions, "ignition">) => TranslateResult;
  readonly filters: readonly FieldFilter[];
}
