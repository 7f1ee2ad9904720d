import { HomelabError, type SourceLocation } from "../errors/index.js";
import { writeImageArchive } from "../oci/image-archive.js";
import { DEFAULT_PLATFORM, parseImageReference, type RegistryClient } from "../oci/index.js";

/** Where an add-on image's archive lies under `<cacheRoot>/artifacts/`: by key and manifest digest. */
export function addonImageCachePath(key: string, digest: string): string {
  return `images/${key}/${digest.slice("sha256:".length)}.tar`;
}

export interface PulledImageArchive {
  /** `sha256:<hex>` of the platform image manifest. */
  readonly digest: string;
  /** Lowercase hex SHA-256 of the archive written. */
  readonly sha256: string;
  readonly bytes: number;
  readonly path: string;
}

/**
 * Pulls the linux/amd64 image `reference` (by `digest` when the lock pins one, else by its
 * tag), every blob checked against its digest by the registry client, and writes homelab's
 * archive of it to `pathFor(digest)` (atomically). An image whose config is not linux/amd64
 * is refused: a tag that names one image manifest, not an index, says its platform only there.
 */
export async function pullImageArchive(
  registry: RegistryClient,
  image: { readonly reference: string; readonly digest?: string; readonly where?: SourceLocation },
  pathFor: (digest: string) => string,
): Promise<PulledImageArchive> {
  const reference = parseImageReference(image.reference, image.where);
  const tag = reference.tag;
  if (tag === undefined) {
    throw new HomelabError("image-reference-invalid", `${image.reference} has no tag`, {
      ...(image.where ? { where: image.where } : {}),
      fix: "Name add-on images with a tag (registry/repository:tag): the node finds the image by that name.",
    });
  }
  const manifest = image.digest
    ? await registry.manifestByDigest(reference, image.digest)
    : await registry.resolveImage(reference, DEFAULT_PLATFORM);
  const config = await registry.blob(reference, manifest.config);
  const platform = platformOf(config);
  if (platform !== `${DEFAULT_PLATFORM.os}/${DEFAULT_PLATFORM.architecture}`) {
    throw new HomelabError(
      "image-pull-failed",
      `${image.reference} (${manifest.digest}) is a ${platform} image; homelab's nodes are linux/amd64`,
      {
        ...(image.where ? { where: image.where } : {}),
        fix: "Use a tag that publishes a linux/amd64 image (or a multi-platform index that includes it).",
      },
    );
  }
  const blobs = [{ digest: manifest.config.digest, bytes: config }];
  for (const layer of manifest.layers)
    blobs.push({ digest: layer.digest, bytes: await registry.blob(reference, layer) });
  const written = await writeImageArchive(
    {
      name: image.reference,
      tag,
      manifest: { mediaType: manifest.mediaType, digest: manifest.digest, bytes: manifest.bytes },
      blobs,
    },
    pathFor(manifest.digest),
  );
  return { digest: manifest.digest, sha256: written.sha256, bytes: written.bytes, path: written.path };
}

/** `os/architecture` from an image config (the registry client checked that it is one). */
function platformOf(config: Buffer): string {
  try {
    const parsed = JSON.parse(config.toString("utf8")) as { os?: unknown; architecture?: unknown };
    return `${String(parsed.os)}/${String(parsed.architecture)}`;
  } catch {
    return "unknown";
  }
}
