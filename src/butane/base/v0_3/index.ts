export { configSchema } from "./schema.js";
export { BaseTranslatorV0_3 } from "./translate.js";
export { sourceChecks } from "./validate.js";
