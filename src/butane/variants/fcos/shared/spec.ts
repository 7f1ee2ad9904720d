import type { BaseTranslator, TranslateOptions } from "../../../base/v0_4/translate.js";
import type { IgnitionSpec } from "../../../ignition/spec.js";
import type { StructSpec } from "../../../schema/types.js";
import type { StructChecks } from "../../../schema/walk.js";
import type { SpecVersion } from "../../spec-version.js";
import { type FcosFeatures, fcosConfigSchema } from "./schema.js";
import { translateFcos } from "./translate.js";
import { fcosChecks } from "./validate.js";

export interface FcosSpecParts {
  readonly version: string;
  readonly features: FcosFeatures;
  readonly base: {
    readonly schema: StructSpec;
    readonly checks: StructChecks;
    readonly translator: new (options: TranslateOptions) => BaseTranslator;
  };
  readonly ignition: IgnitionSpec;
}

/** An fcos spec version: its base, its Ignition version and the fcos additions it has. */
export function fcosSpec(parts: FcosSpecParts): SpecVersion {
  const { base, ignition, features } = parts;
  return {
    variant: "fcos",
    version: parts.version,
    schema: fcosConfigSchema(base.schema, features),
    sourceChecks: fcosChecks(base.checks, features),
    ignition,
    translate: (config, options) =>
      translateFcos(
        config,
        new base.translator({ ...options, ignition }).translate(config),
        ignition,
        features,
      ),
    filters: [],
  };
}
