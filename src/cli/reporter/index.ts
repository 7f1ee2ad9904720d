export { HumanReporter, type HumanReporterOptions } from "./human-reporter.js";
export { JsonReporter } from "./json-reporter.js";
export type { ProgressHandle, Reporter, StepHandle, WarningInfo } from "./reporter.js";
