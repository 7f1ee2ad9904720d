import { createHash, randomBytes } from "node:crypto";
import { mkdir, open, rename, rm } from "node:fs/promises";
import { dirname } from "node:path";
import { ustarEntryHeader } from "../artifacts/tar-image.js";

/**
 * One container image as an OCI image layout in a tar archive, the form k3s imports from
 * `/var/lib/rancher/k3s/agent/images/`: k3s hands every `*.tar` there to containerd's
 * importer (`client.Import(ctx, reader, containerd.WithAllPlatforms(true))`,
 * k3s-io/k3s pkg/agent/containerd/containerd.go, preloadFile), which reads `index.json` and
 * names each image after its `io.containerd.image.name` annotation
 * (containerd images/archive/importer.go; the annotation is `images.AnnotationImageName`).
 * Without that annotation the importer would need a ref translator, which k3s does not pass.
 *
 * The manifest, config and layers are the registry's own bytes, so the imported image has the
 * digest the lock pins. Deterministic like the artifact volume (entries in a fixed order,
 * mtime 0, root/root, fixed modes): the same image gives the same archive, byte for byte, on
 * every machine — which is why the lock can record the archive's SHA-256.
 */

const BLOCK = 512;
const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
/** containerd's image-name annotation (images.AnnotationImageName). */
export const CONTAINERD_IMAGE_NAME = "io.containerd.image.name";
/** The OCI image-layout annotation for a tag (image-spec annotations.md). */
export const OCI_REF_NAME = "org.opencontainers.image.ref.name";

export interface ArchivedBlob {
  /** `sha256:<64 hex>` */
  readonly digest: string;
  readonly bytes: Buffer;
}

export interface ImageArchiveInput {
  /** Fully qualified name with its tag, e.g. `ghcr.io/kube-vip/kube-vip:v1.2.3`. */
  readonly name: string;
  /** The tag alone (`v1.2.3`): the layout's ref name. */
  readonly tag: string;
  /** The platform image manifest, exactly as the registry served it. */
  readonly manifest: { readonly mediaType: string; readonly digest: string; readonly bytes: Buffer };
  /** The config and every layer the manifest names. */
  readonly blobs: readonly ArchivedBlob[];
}

function hexOf(digest: string): string {
  const match = /^sha256:([0-9a-f]{64})$/.exec(digest);
  if (!match?.[1]) throw new RangeError(`not a sha256 digest: ${digest}`);
  return match[1];
}

function sha256Digest(bytes: Buffer): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

/** The archive's entries in the order they are written: layout marker, index, then blobs by digest. */
function entriesOf(input: ImageArchiveInput): { path: string; bytes: Buffer | undefined }[] {
  const blobs = new Map<string, Buffer>();
  for (const blob of [...input.blobs, { digest: input.manifest.digest, bytes: input.manifest.bytes }]) {
    // Every byte is checked here too: an archive never holds a blob under a wrong name.
    const actual = sha256Digest(blob.bytes);
    if (actual !== blob.digest) throw new RangeError(`blob ${blob.digest} has digest ${actual}`);
    blobs.set(blob.digest, blob.bytes);
  }
  const index = {
    schemaVersion: 2,
    mediaType: OCI_INDEX,
    manifests: [
      {
        mediaType: input.manifest.mediaType,
        digest: input.manifest.digest,
        size: input.manifest.bytes.length,
        annotations: { [CONTAINERD_IMAGE_NAME]: input.name, [OCI_REF_NAME]: input.tag },
      },
    ],
  };
  const json = (value: unknown) => Buffer.from(`${JSON.stringify(value)}\n`, "utf8");
  return [
    { path: "oci-layout", bytes: json({ imageLayoutVersion: "1.0.0" }) },
    { path: "index.json", bytes: json(index) },
    { path: "blobs/", bytes: undefined },
    { path: "blobs/sha256/", bytes: undefined },
    ...[...blobs.keys()]
      .sort()
      .map((digest) => ({ path: `blobs/sha256/${hexOf(digest)}`, bytes: blobs.get(digest) })),
  ];
}

/** The whole archive in memory (images homelab carries are tens of MB). */
export function imageArchiveBytes(input: ImageArchiveInput): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entriesOf(input)) {
    if (entry.bytes === undefined) {
      parts.push(ustarEntryHeader(entry.path, 0o755, 0, "directory"));
      continue;
    }
    parts.push(ustarEntryHeader(entry.path, 0o644, entry.bytes.length, "file"), entry.bytes);
    const padding = (BLOCK - (entry.bytes.length % BLOCK)) % BLOCK;
    if (padding > 0) parts.push(Buffer.alloc(padding, 0));
  }
  parts.push(Buffer.alloc(2 * BLOCK, 0));
  return Buffer.concat(parts);
}

export interface WrittenImageArchive {
  readonly path: string;
  readonly bytes: number;
  /** Lowercase hex SHA-256 of the file. */
  readonly sha256: string;
}

/**
 * Writes the archive to `path` atomically (a temporary file renamed into place), 0644: image
 * contents are public. Returns its size and SHA-256.
 */
export async function writeImageArchive(
  input: ImageArchiveInput,
  path: string,
): Promise<WrittenImageArchive> {
  const bytes = imageArchiveBytes(input);
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.${randomBytes(4).toString("hex")}.tmp`;
  const handle = await open(temporary, "w", 0o644);
  try {
    await handle.writeFile(bytes);
    await handle.sync();
    await handle.close();
    await rename(temporary, path);
  } catch (error) {
    await handle.close().catch(() => undefined);
    await rm(temporary, { force: true });
    throw error;
  }
  return { path, bytes: bytes.length, sha256: createHash("sha256").update(bytes).digest("hex") };
}
