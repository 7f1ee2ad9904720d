import { KUBE_VIP_IMAGE } from "../registration/pins.js";

/**
 * The container images of homelab's own add-ons that an offline node cannot pull: kube-vip,
 * whose DaemonSet on every server announces the registration address (src/registration).
 * kured is not here: offline environments do not reboot for updates (src/reboots/strategy.ts).
 * Each is recorded in the lock by the digest of its linux/amd64 image manifest and by the
 * SHA-256 of homelab's deterministic archive of it (src/oci/image-archive.ts).
 */
export const ADDON_IMAGES = [
  {
    /** Its key under `images` in the lock, and the stem of its file names. */
    key: "kube-vip",
    title: "kube-vip image",
    reference: KUBE_VIP_IMAGE.reference,
    /** kube-vip runs on the servers only (node affinity on the control-plane role). */
    installOn: "servers",
  },
] as const;

export type AddonImageKey = (typeof ADDON_IMAGES)[number]["key"];
