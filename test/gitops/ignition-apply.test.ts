import { createHash } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { BOOTSTRAP_PATHS, type BootstrapFile, gitopsBootstrapFiles } from "../../src/gitops/index.js";
import { applyIgnition, ignitionValidate } from "../support/ignition.js";
import { describeWithTools, IGNITION_TOOLS } from "../support/real-tools.js";
import { type FileServer, startFileServer } from "./file-server.js";
import { deployKey, environmentWith, planOf } from "./fixtures.js";

/**
 * The bootstrap's files as Ignition storage entries, applied by the real Ignition to a scratch
 * root: inline manifests land byte for byte with mode 0600, and the Flux manifest is downloaded
 * and accepted only when its SHA-256 matches. The download comes from a stand-in on 127.0.0.1
 * (this machine has no internet), served with the hash of what it serves — and, in the last
 * test, with a wrong one, which Ignition must refuse.
 */

const FAKE_INSTALL = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: flux-system\n";

function ignitionConfig(
  files: readonly BootstrapFile[],
  serverUrl: string,
  sha256 = sha(FAKE_INSTALL),
): string {
  return JSON.stringify({
    ignition: { version: "3.3.0" },
    storage: {
      files: files.map((file) => ({
        path: file.path,
        mode: file.mode,
        overwrite: true,
        contents:
          "contents" in file
            ? { source: `data:,${encodeURIComponent(file.contents)}` }
            : { source: `${serverUrl}/install.yaml`, verification: { hash: `sha256-${sha256}` } },
      })),
    },
  });
}

function sha(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

describeWithTools(IGNITION_TOOLS, "bootstrap files applied by the real Ignition", () => {
  let server: FileServer;
  const environment = environmentWith({ url: "ssh://git@github.com/example/homelab.git" });
  const files = gitopsBootstrapFiles({ environment, plan: planOf(environment), deployKey });

  beforeAll(async () => {
    server = await startFileServer({ "/install.yaml": FAKE_INSTALL });
  });
  afterAll(() => server?.close());

  it("validate as Ignition 3.3.0", () => {
    const outcome = ignitionValidate(ignitionConfig(files, server.url));
    expect(outcome.output).toBe("");
    expect(outcome.ok).toBe(true);
  });

  it("land in k3s's manifests directory, 0600, with the downloaded manifest verified", () => {
    const { root } = applyIgnition(ignitionConfig(files, server.url));
    for (const file of files) {
      const onDisk = join(root, file.path);
      expect(statSync(onDisk).mode & 0o777, file.path).toBe(0o600);
      expect(readFileSync(onDisk, "utf8")).toBe("contents" in file ? file.contents : FAKE_INSTALL);
    }
    const secret = parseAllDocuments(
      readFileSync(join(root, BOOTSTRAP_PATHS.deployKey), "utf8"),
    )[0]?.toJS() as {
      stringData: Record<string, string>;
    };
    expect(secret.stringData.identity).toBe(deployKey.privateKey);
  });

  it("refuses a Flux manifest whose SHA-256 does not match", () => {
    expect(() => applyIgnition(ignitionConfig(files, server.url, sha("something else")))).toThrow(
      /hash|verif/i,
    );
  });
});
