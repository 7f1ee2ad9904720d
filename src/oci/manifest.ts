import { HomelabError } from "../errors/index.js";
import {
  bareMediaType,
  DOCKER_SCHEMA1_TYPES,
  IMAGE_CONFIG_TYPES,
  IMAGE_MANIFEST_TYPES,
  INDEX_TYPES,
} from "./media-types.js";
import { SHA256_DIGEST } from "./reference.js";

/** What a manifest says about one blob or one manifest (image-spec descriptor.md). */
export interface Descriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
}

export interface Platform {
  readonly os: string;
  readonly architecture: string;
  readonly variant?: string;
}

export const DEFAULT_PLATFORM: Platform = { os: "linux", architecture: "amd64" };

export interface IndexEntry extends Descriptor {
  readonly platform?: Platform;
  readonly annotations: Readonly<Record<string, string>>;
}

export type ManifestDocument =
  | { readonly kind: "index"; readonly mediaType: string; readonly manifests: readonly IndexEntry[] }
  | {
      readonly kind: "image";
      readonly mediaType: string;
      readonly config: Descriptor;
      readonly layers: readonly Descriptor[];
    };

const PULL_FIX =
  "Check the image reference; homelab pulls container images whose registry serves OCI or Docker " +
  "schema 2 manifests with sha256 digests.";

function refused(where: string, path: string, message: string, fix = PULL_FIX): HomelabError {
  return new HomelabError("image-pull-failed", message, { where: { file: where, path }, fix });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A descriptor as image-spec descriptor.md requires it, with homelab's sha256-only rule. */
export function checkDescriptor(value: unknown, where: string, path: string): Descriptor {
  if (!isRecord(value)) throw refused(where, path, "a descriptor must be an object");
  const { mediaType, digest, size } = value;
  if (typeof mediaType !== "string" || mediaType === "")
    throw refused(where, `${path}.mediaType`, "a descriptor needs a mediaType");
  if (typeof digest !== "string") throw refused(where, `${path}.digest`, "a descriptor needs a digest");
  if (!SHA256_DIGEST.test(digest))
    throw refused(
      where,
      `${path}.digest`,
      `the digest ${JSON.stringify(digest.slice(0, 80))} is not sha256:<64 lowercase hex>; homelab accepts only sha256 digests`,
    );
  if (typeof size !== "number" || !Number.isSafeInteger(size) || size < 0)
    throw refused(where, `${path}.size`, "a descriptor needs a size in bytes (a non-negative integer)");
  return { mediaType, digest, size };
}

function stringRecord(value: unknown): Record<string, string> {
  if (!isRecord(value)) return {};
  const out: Record<string, string> = {};
  for (const [key, entry] of Object.entries(value)) if (typeof entry === "string") out[key] = entry;
  return out;
}

/**
 * Reads a manifest or index. The media type is the document's own `mediaType` field when it has
 * one (it is covered by the digest; the Content-Type header is not), else the Content-Type.
 * `where` is the manifest's URL, for located errors.
 */
export function parseManifestDocument(
  bytes: Buffer,
  contentType: string | null,
  where: string,
): ManifestDocument {
  let document: unknown;
  try {
    document = JSON.parse(bytes.toString("utf8"));
  } catch {
    throw refused(where, "$", "the manifest is not JSON");
  }
  if (!isRecord(document)) throw refused(where, "$", "the manifest is not a JSON object");
  const declared = typeof document.mediaType === "string" ? document.mediaType : undefined;
  const mediaType = declared ?? bareMediaType(contentType);
  if (document.schemaVersion === 1 || (mediaType !== undefined && DOCKER_SCHEMA1_TYPES.includes(mediaType)))
    throw refused(
      where,
      "$.schemaVersion",
      "the registry serves a Docker schema 1 manifest, which homelab does not read",
      "Schema 1 is deprecated and has no content digest homelab can verify: use an image pushed by a current Docker, buildx or another OCI tool.",
    );
  if (document.schemaVersion !== 2)
    throw refused(
      where,
      "$.schemaVersion",
      `schemaVersion is ${JSON.stringify(document.schemaVersion)}, not 2`,
    );
  if (mediaType === undefined)
    throw refused(
      where,
      "$.mediaType",
      "the manifest has no mediaType and the registry sent no Content-Type",
    );

  if (INDEX_TYPES.includes(mediaType)) {
    if (!Array.isArray(document.manifests))
      throw refused(where, "$.manifests", "an index needs a manifests array");
    const manifests = document.manifests.map((entry: unknown, index): IndexEntry => {
      const path = `$.manifests[${index}]`;
      const descriptor = checkDescriptor(entry, where, path);
      const record = entry as Record<string, unknown>;
      const platform = isRecord(record.platform) ? record.platform : undefined;
      return {
        ...descriptor,
        annotations: stringRecord(record.annotations),
        ...(platform && typeof platform.os === "string" && typeof platform.architecture === "string"
          ? {
              platform: {
                os: platform.os,
                architecture: platform.architecture,
                ...(typeof platform.variant === "string" ? { variant: platform.variant } : {}),
              },
            }
          : {}),
      };
    });
    return { kind: "index", mediaType, manifests };
  }
  if (IMAGE_MANIFEST_TYPES.includes(mediaType)) {
    const config = checkDescriptor(document.config, where, "$.config");
    if (!IMAGE_CONFIG_TYPES.includes(config.mediaType))
      throw refused(
        where,
        "$.config.mediaType",
        `the config is ${JSON.stringify(config.mediaType)}, not a container image config (${IMAGE_CONFIG_TYPES.join(" or ")}): this is an artifact, not an image`,
      );
    if (!Array.isArray(document.layers))
      throw refused(where, "$.layers", "an image manifest needs a layers array");
    const layers = document.layers.map((layer: unknown, index) =>
      checkDescriptor(layer, where, `$.layers[${index}]`),
    );
    return { kind: "image", mediaType, config, layers };
  }
  throw refused(
    where,
    declared !== undefined ? "$.mediaType" : "Content-Type",
    `the media type ${JSON.stringify(mediaType)} is neither an image manifest (${IMAGE_MANIFEST_TYPES.join(", ")}) nor an index (${INDEX_TYPES.join(", ")})`,
  );
}

export function formatPlatform(platform: Platform): string {
  return `${platform.os}/${platform.architecture}${platform.variant ? `/${platform.variant}` : ""}`;
}

/**
 * Buildx stores provenance and SBOMs as index entries with platform `unknown/unknown` and the
 * annotation `vnd.docker.reference.type: attestation-manifest` (moby/buildkit
 * docs/attestations/attestation-storage.md).
 */
export function isAttestation(entry: IndexEntry): boolean {
  return (
    entry.annotations["vnd.docker.reference.type"] === "attestation-manifest" ||
    (entry.platform?.os === "unknown" && entry.platform.architecture === "unknown")
  );
}

/**
 * The index entry for `platform`. Without a requested variant, an entry without a variant wins
 * over one with (amd64 images may add `v2`/`v3` builds next to the baseline one).
 */
export function selectPlatform(
  entries: readonly IndexEntry[],
  platform: Platform,
  where: string,
): IndexEntry {
  const images = entries.filter((entry) => !isAttestation(entry));
  const matching = images.filter(
    (entry) =>
      entry.platform?.os === platform.os &&
      entry.platform.architecture === platform.architecture &&
      (platform.variant === undefined || entry.platform.variant === platform.variant),
  );
  const chosen =
    platform.variant === undefined
      ? (matching.find((entry) => entry.platform?.variant === undefined) ?? matching[0])
      : matching[0];
  if (!chosen) {
    const offered = images.map((entry) =>
      entry.platform ? formatPlatform(entry.platform) : "(no platform)",
    );
    throw refused(
      where,
      "$.manifests",
      `the image index has no ${formatPlatform(platform)} image; it offers ${offered.length > 0 ? offered.join(", ") : "none"}`,
      `Use an image (or a tag) published for ${formatPlatform(platform)}: homelab's nodes run ${formatPlatform(DEFAULT_PLATFORM)}.`,
    );
  }
  if (!IMAGE_MANIFEST_TYPES.includes(chosen.mediaType)) {
    const index = entries.indexOf(chosen);
    throw refused(
      where,
      `$.manifests[${index}].mediaType`,
      `the ${formatPlatform(platform)} entry is ${JSON.stringify(chosen.mediaType)}, not an image manifest (${IMAGE_MANIFEST_TYPES.join(", ")})`,
    );
  }
  return chosen;
}
