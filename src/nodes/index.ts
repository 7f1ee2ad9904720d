export { STATIC_NETWORK_PATH } from "./files.js";
export {
  type ExtraNodeFile,
  type NodeConfigInputs,
  type RenderedNodeConfig,
  renderNodeConfigs,
} from "./render.js";
export { renderTemplate, type TemplateValue } from "./template.js";
export { roleTemplate, templatesDirectory, waitForServerScript } from "./templates.js";
