import { describe, expect, it } from "vitest";
import type { HomelabError } from "../errors/index.js";
import { type IndexEntry, type Platform, parseManifestDocument, selectPlatform } from "./manifest.js";
import { DOCKER_MANIFEST, OCI_INDEX, OCI_MANIFEST } from "./media-types.js";

const digest = (n: number) => `sha256:${n.toString(16).padStart(2, "0").repeat(32)}`;

function entry(
  n: number,
  platform: Platform | undefined,
  annotations: Record<string, string> = {},
): IndexEntry {
  return {
    mediaType: OCI_MANIFEST,
    digest: digest(n),
    size: 100,
    annotations,
    ...(platform ? { platform } : {}),
  };
}

const ATTESTATION = { "vnd.docker.reference.type": "attestation-manifest" };

describe("selectPlatform", () => {
  const amd64 = { os: "linux", architecture: "amd64" };
  const arm64 = { os: "linux", architecture: "arm64", variant: "v8" };
  it.each<[string, IndexEntry[], Platform, number]>([
    [
      "the amd64 entry of three",
      [entry(1, arm64), entry(2, amd64), entry(3, { os: "unknown", architecture: "unknown" }, ATTESTATION)],
      amd64,
      2,
    ],
    // An attestation that claims linux/amd64 is still skipped by its annotation.
    ["past an attestation claiming amd64", [entry(1, amd64, ATTESTATION), entry(2, amd64)], amd64, 2],
    ["the baseline over a v3 build", [entry(1, { ...amd64, variant: "v3" }), entry(2, amd64)], amd64, 2],
    ["a variant when only that exists", [entry(1, { ...amd64, variant: "v2" })], amd64, 1],
    [
      "the requested variant",
      [
        entry(1, { os: "linux", architecture: "arm", variant: "v6" }),
        entry(2, { os: "linux", architecture: "arm", variant: "v7" }),
      ],
      { os: "linux", architecture: "arm", variant: "v7" },
      2,
    ],
  ])("%s", (_name, entries, platform, expected) => {
    expect(selectPlatform(entries, platform, "http://r/v2/x/manifests/t").digest).toBe(digest(expected));
  });

  it.each<[string, IndexEntry[], RegExp, string]>([
    [
      "no amd64",
      [
        entry(1, { os: "linux", architecture: "arm64" }),
        entry(2, { os: "unknown", architecture: "unknown" }, ATTESTATION),
      ],
      /no linux\/amd64 image; it offers linux\/arm64$/,
      "$.manifests",
    ],
    ["only attestations", [entry(1, amd64, ATTESTATION)], /offers none/, "$.manifests"],
    [
      "a nested index",
      [{ ...entry(1, amd64), mediaType: OCI_INDEX }],
      /not an image manifest/,
      "$.manifests[0].mediaType",
    ],
  ])("refuses %s, located", (_name, entries, message, path) => {
    const error = (() => {
      try {
        selectPlatform(entries, amd64, "http://r/v2/x/manifests/t");
      } catch (caught) {
        return caught as HomelabError;
      }
      throw new Error("no error");
    })();
    expect(error.code).toBe("image-pull-failed");
    expect(error.message).toMatch(message);
    expect(error.where).toEqual({ file: "http://r/v2/x/manifests/t", path });
  });
});

describe("parseManifestDocument", () => {
  const config = { mediaType: "application/vnd.oci.image.config.v1+json", digest: digest(1), size: 2 };
  const json = (value: unknown) => Buffer.from(JSON.stringify(value));
  it.each<[string, Buffer, string | null, RegExp, string]>([
    ["not JSON", Buffer.from("<html>"), "text/html", /not JSON/, "$"],
    [
      "schema 1 by field",
      json({ schemaVersion: 1, fsLayers: [] }),
      "application/json",
      /schema 1/,
      "$.schemaVersion",
    ],
    [
      "schema 1 by type",
      json({ schemaVersion: 2 }),
      "application/vnd.docker.distribution.manifest.v1+prettyjws",
      /schema 1/,
      "$.schemaVersion",
    ],
    [
      "an unknown type",
      json({ schemaVersion: 2, mediaType: "application/vnd.example+json" }),
      null,
      /neither an image manifest/,
      "$.mediaType",
    ],
    [
      "an unknown Content-Type",
      json({ schemaVersion: 2 }),
      "application/octet-stream",
      /neither an image manifest/,
      "Content-Type",
    ],
    ["no type at all", json({ schemaVersion: 2 }), null, /no mediaType/, "$.mediaType"],
    [
      "a sha512 layer",
      json({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config,
        layers: [{ ...config, mediaType: "x", digest: `sha512:${"a".repeat(128)}` }],
      }),
      null,
      /only sha256/,
      "$.layers[0].digest",
    ],
    [
      "a negative size",
      json({ schemaVersion: 2, mediaType: DOCKER_MANIFEST, config: { ...config, size: -1 }, layers: [] }),
      null,
      /size/,
      "$.config.size",
    ],
    [
      "an artifact config",
      json({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: { ...config, mediaType: "application/vnd.cncf.helm.config.v1+json" },
        layers: [],
      }),
      null,
      /not a container image config/,
      "$.config.mediaType",
    ],
  ])("refuses %s, located", (_name, bytes, contentType, message, path) => {
    let error: HomelabError | undefined;
    try {
      parseManifestDocument(bytes, contentType, "http://r/v2/x/manifests/t");
    } catch (caught) {
      error = caught as HomelabError;
    }
    expect(error?.code).toBe("image-pull-failed");
    expect(error?.message).toMatch(message);
    expect(error?.where).toEqual({ file: "http://r/v2/x/manifests/t", path });
  });

  it("takes the Content-Type when the document has no mediaType", () => {
    const parsed = parseManifestDocument(
      json({ schemaVersion: 2, config, layers: [] }),
      `${OCI_MANIFEST}; charset=utf-8`,
      "u",
    );
    expect(parsed).toEqual({ kind: "image", mediaType: OCI_MANIFEST, config, layers: [] });
  });
});
