// Runs dist/butane.cjs once on a representative config and saves V8's code cache for it, so
// that the functions a typical `homelab butane` run compiles are already compiled next time.
import { writeFileSync } from "node:fs";
import { Writable } from "node:stream";
import { loadCodeCached } from "../bin/code-cache.js";

const sample = `variant: flatcar
version: 1.0.0
passwd:
  users:
    - name: core
      ssh_authorized_keys:
        - ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHdhcm0 warm@cache
storage:
  directories:
    - path: /etc/rancher/k3s
      mode: 0755
  files:
    - path: /etc/hostname
      mode: 0644
      contents:
        inline: warm-node
    - path: /etc/rancher/k3s/config.yaml
      mode: 0600
      contents:
        inline: |
          cluster-init: true
          token: "0123456789abcdef0123456789abcdef"
          disable:
            - traefik
            - servicelb
          node-label:
            - node-type=server
          tls-san:
            - 192.168.140.10
    - path: /opt/bin/k3s
      mode: 0755
      contents:
        source: https://example.invalid/k3s
        verification:
          hash: sha256-e63a3511b2603fd1436a1ea8d228348a3b47334b45024801d41a8c0e2d22e8c4
  links:
    - path: /opt/bin/kubectl
      target: /opt/bin/k3s
systemd:
  units:
    - name: k3s.service
      enabled: true
      contents: |
        [Unit]
        Wants=network-online.target
        After=network-online.target
        [Service]
        ExecStart=/opt/bin/k3s server
        [Install]
        WantedBy=multi-user.target
`;

const discard = new Writable({ write: (_chunk, _encoding, done) => done() });
const { exports, createCachedData } = loadCodeCached(
  new URL("../dist/butane.cjs", import.meta.url).pathname,
  {
    useCache: false,
  },
);
const { Readable } = await import("node:stream");
for (const args of [[], ["--pretty"], ["--strict"]]) {
  await exports.default.runRaw(args, {
    cwd: process.cwd(),
    stdin: Readable.from([sample]),
    stdout: discard,
    stderr: discard,
  });
}
writeFileSync(new URL("../dist/butane.cjs.cache", import.meta.url), createCachedData());
