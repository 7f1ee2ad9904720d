export { checkNoSecrets, checkSynthesis } from "./checks.js";
export { flatcarImageCachePath } from "./image-path.js";
export {
  inspectOutputDir,
  type OutputDirState,
  RENDER_MARKER,
  type RenderedFile,
  replaceOutputDir,
} from "./output-dir.js";
export {
  type PreparedRender,
  prepareRender,
  type RenderOptions,
  type RenderResult,
  renderEnvironment,
} from "./render.js";
export { type ResolvedVersions, resolveVersions } from "./versions.js";
