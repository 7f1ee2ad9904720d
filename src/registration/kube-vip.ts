import { stringify } from "yaml";
import { K3S_SUPERVISOR_PORT } from "../k3s/index.js";
import type { ExtraNodeFile } from "../nodes/index.js";
import type { ClusterPlan } from "../plan/types.js";
import { KUBE_VIP_IMAGE } from "./pins.js";

/**
 * The fixed registration address: a virtual IP that kube-vip announces by ARP from whichever
 * server holds its leader lease. Joining nodes, homelab's kubeconfig and its waits use it, so
 * losing any one server — the first one included — loses nothing: another server takes the
 * lease and answers on the same address within seconds.
 *
 * kube-vip runs as a DaemonSet on the servers (k3s labels them
 * `node-role.kubernetes.io/control-plane`), with host networking and NET_ADMIN/NET_RAW to add
 * the address to the node's interface and answer ARP. It is deployed through k3s's
 * auto-deploy directory on every server with identical contents: the first server's k3s applies
 * it at bootstrap (kube-vip reaches the API server through the in-cluster service, which works
 * before the virtual IP exists), later servers apply the same objects again, and adding a
 * server changes no other server's Ignition.
 *
 * Facts: kube-vip.io/docs/usage/k3s/ and /docs/installation/daemonset/ (RBAC, environment
 * variables of `kube-vip manifest daemonset --controlplane --arp --leaderElection`); see
 * docs/05-day-two.md for the citations.
 */

/** Where the manifest lands on each server: k3s applies every file there. */
export const KUBE_VIP_MANIFEST_PATH = "/var/lib/rancher/k3s/server/manifests/homelab-kube-vip.yaml";

const NAMESPACE = "kube-system";
const NAME = "kube-vip";
const LABELS = { "app.kubernetes.io/name": NAME, "app.kubernetes.io/managed-by": "homelab" };

function objects(plan: ClusterPlan): unknown[] {
  const serviceAccount = {
    apiVersion: "v1",
    kind: "ServiceAccount",
    metadata: { name: NAME, namespace: NAMESPACE, labels: LABELS },
  };
  const role = {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRole",
    metadata: { name: "system:kube-vip-role", labels: LABELS },
    rules: [
      { apiGroups: [""], resources: ["services/status"], verbs: ["update"] },
      { apiGroups: [""], resources: ["services", "endpoints"], verbs: ["list", "get", "watch", "update"] },
      { apiGroups: [""], resources: ["nodes"], verbs: ["list", "get", "watch", "update", "patch"] },
      {
        apiGroups: ["coordination.k8s.io"],
        resources: ["leases"],
        verbs: ["list", "get", "watch", "update", "create"],
      },
      {
        apiGroups: ["discovery.k8s.io"],
        resources: ["endpointslices"],
        verbs: ["list", "get", "watch", "update"],
      },
      { apiGroups: [""], resources: ["pods"], verbs: ["list"] },
    ],
  };
  const binding = {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRoleBinding",
    metadata: { name: "system:kube-vip-binding", labels: LABELS },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "system:kube-vip-role" },
    subjects: [{ kind: "ServiceAccount", name: NAME, namespace: NAMESPACE }],
  };
  const env: Record<string, string> = {
    // Control-plane address only: LoadBalancer services are MetalLB's (network.loadBalancerRange).
    vip_arp: "true",
    port: String(K3S_SUPERVISOR_PORT),
    vip_subnet: "32",
    cp_enable: "true",
    cp_namespace: NAMESPACE,
    svc_enable: "false",
    vip_leaderelection: "true",
    vip_leasename: "plndr-cp-lock",
    vip_leaseduration: "5",
    vip_renewdeadline: "3",
    vip_retryperiod: "1",
    address: plan.network.registrationAddress,
  };
  const daemonSet = {
    apiVersion: "apps/v1",
    kind: "DaemonSet",
    metadata: { name: NAME, namespace: NAMESPACE, labels: LABELS },
    spec: {
      selector: { matchLabels: { "app.kubernetes.io/name": NAME } },
      template: {
        metadata: { labels: LABELS },
        spec: {
          affinity: {
            nodeAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: {
                nodeSelectorTerms: [
                  {
                    matchExpressions: [{ key: "node-role.kubernetes.io/control-plane", operator: "Exists" }],
                  },
                ],
              },
            },
          },
          containers: [
            {
              name: NAME,
              image: KUBE_VIP_IMAGE.reference,
              imagePullPolicy: "IfNotPresent",
              args: ["manager"],
              env: [
                ...Object.entries(env).map(([name, value]) => ({ name, value })),
                // The lease holder's name: the node, not the pod (kube-vip falls back to the hostname).
                { name: "vip_nodename", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } },
              ],
              securityContext: { capabilities: { add: ["NET_ADMIN", "NET_RAW"] } },
            },
          ],
          hostNetwork: true,
          serviceAccountName: NAME,
          // Servers may carry NoSchedule/NoExecute taints (servers.taints): the address must
          // still be announced from them.
          tolerations: [
            { effect: "NoSchedule", operator: "Exists" },
            { effect: "NoExecute", operator: "Exists" },
          ],
          priorityClassName: "system-node-critical",
        },
      },
    },
  };
  return [serviceAccount, role, binding, daemonSet];
}

/** The manifest's text: four YAML documents, byte-identical for every server of an environment. */
export function kubeVipManifest(plan: ClusterPlan): string {
  return objects(plan)
    .map((object) => `---\n${stringify(object, { lineWidth: 0 })}`)
    .join("");
}

/** The file every server's Ignition carries (0600: only root and k3s read k3s's manifests). */
export function registrationFiles(plan: ClusterPlan): ExtraNodeFile[] {
  return [{ path: KUBE_VIP_MANIFEST_PATH, mode: 0o600, contents: kubeVipManifest(plan) }];
}
