export { defineEnvironment } from "./define.js";
export {
  DEFAULT_EVALUATION_LIMITS,
  type EvaluationLimits,
  evaluateEnvironmentFiles,
} from "./evaluate/evaluate.js";
export { formatFieldPath } from "./issues.js";
export {
  ENVIRONMENT_JSON_SCHEMA_PATH,
  environmentJsonSchema,
  environmentJsonSchemaText,
} from "./json-schema.js";
export {
  type LoadEnvironmentOptions,
  type LoadedEnvironment,
  listEnvironmentNames,
  loadEnvironment,
  locateDetails,
} from "./load.js";
export {
  type Environment,
  type EnvironmentInput,
  EnvironmentSchema,
  type NodeOverride,
  type Snippet,
} from "./schema.js";
export { loadSiblingEnvironments, loadSiblingEnvironmentsWithWarnings } from "./siblings.js";
