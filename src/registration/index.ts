export { KUBE_VIP_MANIFEST_PATH, kubeVipManifest, registrationFiles } from "./kube-vip.js";
export { KUBE_VIP_IMAGE } from "./pins.js";
