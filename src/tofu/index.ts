export {
  artifactVolumeAddress,
  baseImageAddress,
  baseImageKey,
  baseKeyOfVolume,
  baseVolumeName,
  diskVolumeName,
  ignitionVolumeName,
  LIBVIRT_TYPES,
  nodeAddresses,
  nodeFilePaths,
  parseResourceName,
  RESOURCE_NAMES,
  RESOURCE_TYPES,
  type ResourceKind,
  resourceAddress,
  resourceName,
} from "./names.js";
export { LIBVIRT_PROVIDER } from "./provider.js";
export { type ProviderSchema, type SchemaNode, type SchemaProblem, walkTfJson } from "./schema-walk.js";
export { serializeTfJson } from "./serialize.js";
export {
  type ArtifactVolume,
  type BaseImage,
  FLATCAR_FW_CFG_NAME,
  type SynthesizedNode,
  synthesizeTofu,
  type TofuSynthesisOptions,
} from "./synthesize.js";
export type { TfJsonDocument, TfMoved, TfResourceBody, TfValue } from "./tf-json.js";
