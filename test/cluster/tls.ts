import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { toolPath } from "../support/real-tools.js";

export interface SelfSignedCertificate {
  readonly cert: string;
  readonly key: string;
}

/**
 * A throwaway self-signed certificate for 127.0.0.1 made by the real `openssl` (Debian
 * package openssl), like the certificate k3s serves before the client knows its CA. Tests using
 * it declare "openssl" (support/real-tools.ts).
 */
export function selfSignedCertificate(): SelfSignedCertificate {
  const dir = mkdtempSync(join(tmpdir(), "homelab-tls-"));
  execFileSync(
    toolPath("openssl"),
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-keyout",
      join(dir, "key.pem"),
      "-out",
      join(dir, "cert.pem"),
      "-days",
      "1",
      "-subj",
      "/CN=127.0.0.1",
      "-addext",
      "subjectAltName=IP:127.0.0.1",
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  const certificate = {
    cert: readFileSync(join(dir, "cert.pem"), "utf8"),
    key: readFileSync(join(dir, "key.pem"), "utf8"),
  };
  rmSync(dir, { recursive: true, force: true });
  return certificate;
}
