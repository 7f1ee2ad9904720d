import { createHash } from "node:crypto";
import { gzipSync } from "node:zlib";
import { ustarEntryHeader } from "../../src/artifacts/tar-image.js";
import type { ImageArchiveInput } from "../../src/oci/image-archive.js";

/** `sha256:<hex>` of some bytes, as registries name blobs. */
export const digestOf = (bytes: Buffer) => `sha256:${createHash("sha256").update(bytes).digest("hex")}`;

/** A one-layer image with the registry's shapes (OCI or Docker schema 2 media types). */
export function testImage(name: string, text: string, flavour: "oci" | "docker" = "oci"): ImageArchiveInput {
  const content = Buffer.from(text);
  const padding = Buffer.alloc((512 - (content.length % 512)) % 512);
  const layerTar = Buffer.concat([
    ustarEntryHeader("hello.txt", 0o644, content.length, "file"),
    content,
    padding,
    Buffer.alloc(1024),
  ]);
  const layer = gzipSync(layerTar);
  const config = Buffer.from(
    JSON.stringify({
      architecture: "amd64",
      os: "linux",
      config: {},
      rootfs: { type: "layers", diff_ids: [digestOf(layerTar)] },
    }),
  );
  const types =
    flavour === "oci"
      ? {
          manifest: "application/vnd.oci.image.manifest.v1+json",
          config: "application/vnd.oci.image.config.v1+json",
          layer: "application/vnd.oci.image.layer.v1.tar+gzip",
        }
      : {
          manifest: "application/vnd.docker.distribution.manifest.v2+json",
          config: "application/vnd.docker.container.image.v1+json",
          layer: "application/vnd.docker.image.rootfs.diff.tar.gzip",
        };
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: types.manifest,
      config: { mediaType: types.config, digest: digestOf(config), size: config.length },
      layers: [{ mediaType: types.layer, digest: digestOf(layer), size: layer.length }],
    }),
  );
  return {
    name,
    tag: name.slice(name.lastIndexOf(":") + 1),
    manifest: { mediaType: types.manifest, digest: digestOf(manifest), bytes: manifest },
    blobs: [
      { digest: digestOf(config), bytes: config },
      { digest: digestOf(layer), bytes: layer },
    ],
  };
}
