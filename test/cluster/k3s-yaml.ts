/** The shape of /etc/rancher/k3s/k3s.yaml as k3s writes it (test data, not real credentials). */
export const K3S_YAML = `apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: dGVzdCBjbHVzdGVyIENB
    server: https://127.0.0.1:6443
  name: default
contexts:
- context:
    cluster: default
    user: default
  name: default
current-context: default
kind: Config
preferences: {}
users:
- name: default
  user:
    client-certificate-data: dGVzdCBjbGllbnQgY2VydA==
    client-key-data: dGVzdCBjbGllbnQga2V5
`;
