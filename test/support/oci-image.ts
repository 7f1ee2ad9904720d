import { createHash } from "node:crypto";
import type { ImageArchiveInput } from "../../src/oci/image-archive.js";
import { type BuiltImage, buildImage, type ManifestFormat } from "./oci-registry.js";

/** `sha256:<hex>` of some bytes, as registries name blobs. */
export const digestOf = (bytes: Buffer) => `sha256:${createHash("sha256").update(bytes).digest("hex")}`;

/** What homelab's archive of a built image holds, named `name` (registry/repository:tag). */
export function archiveInputOf(name: string, image: BuiltImage): ImageArchiveInput {
  return {
    name,
    tag: name.slice(name.lastIndexOf(":") + 1),
    manifest: image.manifest,
    blobs: [...image.blobs].map(([digest, bytes]) => ({ digest, bytes })),
  };
}

/** A small linux/amd64 image (stand-in-registry's buildImage) with a seed taken from `text`. */
export function testImage(name: string, text: string, format: ManifestFormat = "oci"): ImageArchiveInput {
  const seed = createHash("sha256").update(text).digest().readUInt32BE(0);
  return archiveInputOf(name, buildImage({ format, seed, layerCount: 1, layerContentSize: 700 }));
}
