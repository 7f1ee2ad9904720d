/**
 * The manifest media types homelab reads. OCI: opencontainers/image-spec media-types.md;
 * Docker: distribution/distribution docs/spec/manifest-v2-2.md ("Image Manifest Version 2,
 * Schema 2"), whose manifest list is the Docker twin of the OCI image index.
 */
export const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
export const DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
export const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
export const DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";

/** Schema 1 (signed or not): deprecated and not content-addressable the same way; refused. */
export const DOCKER_SCHEMA1_TYPES: readonly string[] = [
  "application/vnd.docker.distribution.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.v1+prettyjws",
];

export const OCI_IMAGE_CONFIG = "application/vnd.oci.image.config.v1+json";
export const DOCKER_IMAGE_CONFIG = "application/vnd.docker.container.image.v1+json";

export const INDEX_TYPES: readonly string[] = [OCI_INDEX, DOCKER_MANIFEST_LIST];
export const IMAGE_MANIFEST_TYPES: readonly string[] = [OCI_MANIFEST, DOCKER_MANIFEST];
export const IMAGE_CONFIG_TYPES: readonly string[] = [OCI_IMAGE_CONFIG, DOCKER_IMAGE_CONFIG];

/**
 * The Accept header of a manifest request: without it, a registry may answer a Docker image with
 * a schema 1 conversion or refuse an index (distribution-spec spec.md, "Pulling manifests": the
 * client SHOULD include an Accept header for the types it supports).
 */
export const MANIFEST_ACCEPT = [OCI_INDEX, DOCKER_MANIFEST_LIST, OCI_MANIFEST, DOCKER_MANIFEST].join(", ");

/** `application/json; charset=utf-8` → `application/json`. */
export function bareMediaType(contentType: string | null): string | undefined {
  const bare = contentType?.split(";")[0]?.trim().toLowerCase();
  return bare ? bare : undefined;
}
