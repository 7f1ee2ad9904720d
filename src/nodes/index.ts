export { STATIC_NETWORK_PATH } from "./files.js";
export { BOOTSTRAP, describeFirstBoot, type FirstBoot, JOIN, startsEtcdHere } from "./first-boot.js";
export {
  createNodeRenderer,
  type ExtraNodeFile,
  type ExtraNodeUnit,
  type NodeConfigInputs,
  type NodeRenderer,
  RESTORE_PATHS,
  type RenderedNodeConfig,
  renderNodeConfigs,
} from "./render.js";
export { renderTemplate, type TemplateValue } from "./template.js";
export {
  fluxHandoverScript,
  fluxHandoverUnit,
  roleTemplate,
  templatesDirectory,
  waitForServerScript,
} from "./templates.js";
