export { BaseTranslatorV0_5 as BaseTranslatorV0_6Exp } from "../v0_5/translate.js";
export { sourceChecks } from "../v0_5/validate.js";
export { configSchema } from "./schema.js";
