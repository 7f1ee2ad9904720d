/**
 * homelab's access to libvirt: every call runs `virsh -c <uri>` (no libvirt bindings to
 * build), with LC_ALL=C, and classifies failures into `libvirt-unreachable` and
 * `libvirt-permission-denied`.
 */
export { type DomainTypeSupport, domainTypeSupport } from "./capabilities.js";
export {
  DOMAIN_STATES,
  type DomainState,
  domainStates,
  type LibvirtDomainState,
  parseDomainState,
} from "./domains.js";
export { type LibvirtNetwork, listNetworks, parseNetworkXml } from "./networks.js";
export { type LibvirtPool, listPools, parsePoolXml, poolTargetPath } from "./pools.js";
export { type ProcessResult, type ProcessRunner, type RunProcessOptions, runProcess } from "./process.js";
export { type LibvirtReachability, libvirtReachable, parseVirshVersion } from "./reachable.js";
export {
  classifyVirshFailure,
  isLocalUri,
  isSessionUri,
  parseNameList,
  runVirsh,
  type VirshFailureKind,
  type VirshOptions,
  virsh,
  virshError,
} from "./virsh.js";
