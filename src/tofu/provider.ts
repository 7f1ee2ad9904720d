import { LIBVIRT_PROVIDER_VERSION } from "../pins/index.js";

/** The provider the synthesized configuration requires, pinned exactly. */
export const LIBVIRT_PROVIDER = {
  source: "dmacvicar/libvirt",
  version: LIBVIRT_PROVIDER_VERSION,
} as const;
