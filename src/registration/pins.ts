/**
 * The kube-vip release the registration address is announced with: v1.2.3, the newest release
 * tag of kube-vip/kube-vip (2026-08-10) whose manifest generator and environment variables
 * (pkg/kubevip/config_envvar.go, config_generator.go) the DaemonSet in kube-vip.ts follows.
 * Pinned by tag: no digest for it could be confirmed from kube-vip's own publications here. A
 * changed pin is a changed Ignition on every server, which rolls one server at a time.
 */
export const KUBE_VIP_IMAGE = {
  version: "v1.2.3",
  reference: "ghcr.io/kube-vip/kube-vip:v1.2.3",
} as const;
