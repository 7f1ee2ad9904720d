export { ERROR_CODES, type ErrorCode, errorPage } from "./codes.js";
export { errorEvent, formatError, formatLocation } from "./format.js";
export {
  HomelabError,
  type HomelabErrorDetail,
  type HomelabErrorOptions,
  isHomelabError,
  type SourceLocation,
} from "./homelab-error.js";
