/**
 * A STAND-IN for an OCI distribution registry (ghcr.io, Docker Hub): node:http on 127.0.0.1 with
 * images held in memory, anonymous bearer-token auth with the realm on the same server, blob
 * redirects like ghcr.io's, and fault switches. It speaks just enough of the protocol
 * (distribution-spec spec.md "Pulling manifests" / "Pulling blobs", distribution/distribution
 * docs/spec/auth/token.md) to pull with; it is not a registry implementation and proves nothing
 * about a real registry's behaviour beyond those published facts.
 */
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { gunzipSync, gzipSync } from "node:zlib";
import { ustarHeader } from "../../src/artifacts/tar-image.js";
import type { Descriptor, Platform } from "../../src/oci/index.js";
import { DOCKER_MANIFEST, DOCKER_MANIFEST_LIST, OCI_INDEX, OCI_MANIFEST } from "../../src/oci/media-types.js";

export type ManifestFormat = "oci" | "docker";

export interface StoredManifest {
  readonly bytes: Buffer;
  readonly digest: string;
  readonly mediaType: string;
}

export interface BuiltImage {
  readonly manifest: StoredManifest;
  readonly config: Descriptor;
  readonly layers: readonly Descriptor[];
  readonly platform: Platform;
  /** Every blob of the image (config and layers) by digest. */
  readonly blobs: ReadonlyMap<string, Buffer>;
}

export interface BuiltIndex {
  readonly manifest: StoredManifest;
  /** The images the index names, attestation manifests included. */
  readonly images: readonly BuiltImage[];
}

export function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

/** Deterministic pseudo-random bytes (xorshift), so that a failing test reproduces. */
export function seededBytes(size: number, seed: number): Buffer {
  const bytes = Buffer.alloc(size);
  let state = seed >>> 0 || 1;
  for (let index = 0; index < size; index++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    bytes[index] = state & 0xff;
  }
  return bytes;
}

/** A gzipped ustar archive holding one file of random bytes: the shape of a real layer. */
export function layerTarGz(name: string, contentSize: number, seed: number): Buffer {
  const content = seededBytes(contentSize, seed);
  const padding = Buffer.alloc((512 - (content.length % 512)) % 512);
  return gzipSync(
    Buffer.concat([ustarHeader(name, 0o644, content.length), content, padding, Buffer.alloc(1024)]),
  );
}

const MEDIA_TYPES = {
  oci: {
    manifest: OCI_MANIFEST,
    index: OCI_INDEX,
    config: "application/vnd.oci.image.config.v1+json",
    layer: "application/vnd.oci.image.layer.v1.tar+gzip",
  },
  docker: {
    manifest: DOCKER_MANIFEST,
    index: DOCKER_MANIFEST_LIST,
    config: "application/vnd.docker.container.image.v1+json",
    layer: "application/vnd.docker.image.rootfs.diff.tar.gzip",
  },
} as const;

function stored(document: unknown, mediaType: string): StoredManifest {
  const bytes = Buffer.from(JSON.stringify(document, null, 2));
  return { bytes, digest: sha256(bytes), mediaType };
}

export interface BuildImageOptions {
  readonly format?: ManifestFormat;
  readonly platform?: Platform;
  readonly layerCount?: number;
  readonly layerContentSize?: number;
  readonly seed?: number;
}

/** A small image: `layerCount` random tar.gz layers, a config naming their diff IDs, its manifest. */
export function buildImage(options: BuildImageOptions = {}): BuiltImage {
  const format = options.format ?? "oci";
  const platform = options.platform ?? { os: "linux", architecture: "amd64" };
  const seed = options.seed ?? 1;
  const types = MEDIA_TYPES[format];
  const blobs = new Map<string, Buffer>();
  const layers: Descriptor[] = [];
  const diffIds: string[] = [];
  for (let index = 0; index < (options.layerCount ?? 2); index++) {
    const bytes = layerTarGz(`file-${index}.bin`, options.layerContentSize ?? 3000, seed * 1000 + index + 1);
    const digest = sha256(bytes);
    blobs.set(digest, bytes);
    layers.push({ mediaType: types.layer, digest, size: bytes.length });
    diffIds.push(sha256(gunzipSync(bytes)));
  }
  const configBytes = Buffer.from(
    JSON.stringify({
      architecture: platform.architecture,
      os: platform.os,
      ...(platform.variant ? { variant: platform.variant } : {}),
      config: { Entrypoint: ["/kube-vip"] },
      rootfs: { type: "layers", diff_ids: diffIds },
    }),
  );
  const config: Descriptor = {
    mediaType: types.config,
    digest: sha256(configBytes),
    size: configBytes.length,
  };
  blobs.set(config.digest, configBytes);
  const manifest = stored({ schemaVersion: 2, mediaType: types.manifest, config, layers }, types.manifest);
  return { manifest, config, layers, platform, blobs };
}

/**
 * An index (OCI) or manifest list (Docker) over `images`, followed by one attestation manifest
 * per image when `attestations` is set, in buildx's layout (platform unknown/unknown,
 * `vnd.docker.reference.type: attestation-manifest`; moby/buildkit docs/attestations/attestation-storage.md).
 */
export function buildIndex(
  images: readonly BuiltImage[],
  options: { readonly format?: ManifestFormat; readonly attestations?: boolean } = {},
): BuiltIndex {
  const format = options.format ?? "oci";
  const entries: unknown[] = [];
  const all: BuiltImage[] = [...images];
  const attestations: BuiltImage[] = [];
  if (options.attestations ?? true) {
    for (const index of images.keys()) {
      const attestation = buildImage({
        format: "oci",
        platform: { os: "unknown", architecture: "unknown" },
        layerCount: 1,
        layerContentSize: 200,
        seed: 900 + index,
      });
      attestations.push(attestation);
      all.push(attestation);
    }
  }
  for (const image of images)
    entries.push({
      mediaType: image.manifest.mediaType,
      digest: image.manifest.digest,
      size: image.manifest.bytes.length,
      platform: image.platform,
    });
  for (const [index, attestation] of attestations.entries())
    entries.push({
      mediaType: attestation.manifest.mediaType,
      digest: attestation.manifest.digest,
      size: attestation.manifest.bytes.length,
      platform: { os: "unknown", architecture: "unknown" },
      annotations: {
        "vnd.docker.reference.digest": images[index]?.manifest.digest,
        "vnd.docker.reference.type": "attestation-manifest",
      },
    });
  const mediaType = MEDIA_TYPES[format].index;
  return { manifest: stored({ schemaVersion: 2, mediaType, manifests: entries }, mediaType), images: all };
}

export interface LoggedRequest {
  readonly server: "registry" | "storage";
  readonly path: string;
  readonly accept?: string;
  readonly authorization?: string;
}

/** Switches that make the stand-in misbehave; tests set and reset them between cases. */
export interface RegistryFaults {
  /** Serve these bytes instead of the blob with that digest. */
  blobInstead?: Map<string, Buffer>;
  /** Serve these bytes instead of the manifest with that tag or digest (same headers as the real one). */
  manifestInstead?: Map<string, Buffer>;
  /** Send blobs chunked, without Content-Length, so only the stream tells their size. */
  hideBlobLength?: boolean;
  /** Answer this path (`/v2/…`) with 404 MANIFEST_UNKNOWN / BLOB_UNKNOWN. */
  notFound?: Set<string>;
  /** Answer every /v2/ request with 401 and no WWW-Authenticate header. */
  unauthorizedWithoutChallenge?: boolean;
  /** The WWW-Authenticate header to send instead of the Bearer challenge (e.g. `Basic realm="x"`). */
  challengeInstead?: string;
  /** Redirect blob GETs with 307 to `/storage/…?sig=…`, on this server or on a second one. */
  redirectBlobs?: "same-origin" | "other-origin";
  /** The token endpoint answers 500. */
  tokenEndpointFails?: boolean;
  /** Claim another Docker-Content-Digest than the manifest bytes have. */
  wrongDigestHeader?: boolean;
}

export const REDIRECT_SIGNATURE = "sig=stand-in-secret-signature";

/** The registry stand-in; `start()` it, `close()` it in afterAll. */
export class StandInRegistry {
  readonly requests: LoggedRequest[] = [];
  readonly tokenRequests: { readonly service: string | null; readonly scope: string | null }[] = [];
  /** Every token handed out, so tests can check none of them appears in an error. */
  readonly issuedTokens: string[] = [];
  faults: RegistryFaults = {};
  readonly #manifests = new Map<string, Map<string, { bytes: Buffer; mediaType: string }>>();
  readonly #blobs = new Map<string, Map<string, Buffer>>();
  readonly #tokens = new Map<string, string>();
  readonly #auth: boolean;
  readonly #tokenField: "token" | "access_token";
  #registry: Server | undefined;
  #storage: Server | undefined;
  #registryUrl = "";
  #storageUrl = "";

  private constructor(options: StandInRegistryOptions) {
    this.#auth = options.auth ?? true;
    this.#tokenField = options.tokenField ?? "token";
  }

  static async start(options: StandInRegistryOptions = {}): Promise<StandInRegistry> {
    const registry = new StandInRegistry(options);
    registry.#registry = createServer((request, response) => registry.#handle("registry", request, response));
    registry.#storage = createServer((request, response) => registry.#handle("storage", request, response));
    registry.#registryUrl = await listen(registry.#registry);
    registry.#storageUrl = await listen(registry.#storage);
    return registry;
  }

  /** http://127.0.0.1:PORT: what `baseUrl` maps every registry name to in tests. */
  get url(): string {
    return this.#registryUrl;
  }

  get storageUrl(): string {
    return this.#storageUrl;
  }

  async close(): Promise<void> {
    for (const server of [this.#registry, this.#storage]) {
      if (!server) continue;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }

  /** Forgets every token handed out, as an expiry would: the next request with one gets a 401. */
  revokeTokens(): void {
    this.#tokens.clear();
  }

  /** Stores a manifest (any bytes, any media type) under a tag or digest; by its digest too. */
  putManifest(repository: string, reference: string, bytes: Buffer, mediaType: string): void {
    const manifests = this.#manifests.get(repository) ?? new Map();
    this.#manifests.set(repository, manifests);
    manifests.set(reference, { bytes, mediaType });
    manifests.set(sha256(bytes), { bytes, mediaType });
  }

  putBlob(repository: string, bytes: Buffer): string {
    const blobs = this.#blobs.get(repository) ?? new Map();
    this.#blobs.set(repository, blobs);
    const digest = sha256(bytes);
    blobs.set(digest, bytes);
    return digest;
  }

  pushImage(repository: string, tag: string, image: BuiltImage): void {
    this.putManifest(repository, tag, image.manifest.bytes, image.manifest.mediaType);
    for (const bytes of image.blobs.values()) this.putBlob(repository, bytes);
  }

  pushIndex(repository: string, tag: string, index: BuiltIndex): void {
    this.putManifest(repository, tag, index.manifest.bytes, index.manifest.mediaType);
    for (const image of index.images) this.pushImage(repository, image.manifest.digest, image);
  }

  #handle(server: "registry" | "storage", request: IncomingMessage, response: ServerResponse): void {
    const url = new URL(request.url ?? "/", "http://stand-in");
    this.requests.push({
      server,
      path: url.pathname,
      ...(request.headers.accept ? { accept: request.headers.accept } : {}),
      ...(request.headers.authorization ? { authorization: request.headers.authorization } : {}),
    });
    if (server === "storage" || url.pathname.startsWith("/storage/")) {
      this.#storageBlob(url, response);
      return;
    }
    if (url.pathname === "/token") {
      this.#token(url, response);
      return;
    }
    const match = /^\/v2\/(.+)\/(manifests|blobs)\/([^/]+)$/.exec(url.pathname);
    if (!match) {
      registryError(response, 404, "NAME_UNKNOWN", "no such endpoint");
      return;
    }
    const [, repository = "", kind, reference = ""] = match;
    if (this.faults.unauthorizedWithoutChallenge) {
      response.writeHead(401, { "content-type": "application/json" });
      response.end('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}');
      return;
    }
    if (this.#auth && !this.#authorized(request, repository)) {
      const challenge =
        this.faults.challengeInstead ??
        `Bearer realm="${this.#registryUrl}/token",service="stand-in-registry",scope="repository:${repository}:pull"`;
      response.writeHead(401, { "www-authenticate": challenge, "content-type": "application/json" });
      response.end('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}');
      return;
    }
    if (this.faults.notFound?.has(url.pathname)) {
      registryError(response, 404, kind === "blobs" ? "BLOB_UNKNOWN" : "MANIFEST_UNKNOWN", "unknown");
      return;
    }
    if (kind === "manifests") {
      this.#manifest(repository, reference, response);
      return;
    }
    const blob = this.#blobs.get(repository)?.get(reference);
    if (!blob) {
      registryError(response, 404, "BLOB_UNKNOWN", "blob unknown to registry");
      return;
    }
    if (this.faults.redirectBlobs) {
      const base = this.faults.redirectBlobs === "same-origin" ? this.#registryUrl : this.#storageUrl;
      response.writeHead(307, {
        location: `${base}/storage/${repository}/${reference}?${REDIRECT_SIGNATURE}`,
      });
      response.end();
      return;
    }
    this.#sendBlob(repository, reference, blob, response);
  }

  #authorized(request: IncomingMessage, repository: string): boolean {
    const match = /^Bearer (.+)$/.exec(request.headers.authorization ?? "");
    return match !== null && this.#tokens.get(match[1] ?? "") === repository;
  }

  #token(url: URL, response: ServerResponse): void {
    const scope = url.searchParams.get("scope");
    this.tokenRequests.push({ service: url.searchParams.get("service"), scope });
    if (this.faults.tokenEndpointFails) {
      response.writeHead(500, { "content-type": "text/plain" });
      response.end("token service down");
      return;
    }
    const repository = /^repository:(.+):pull$/.exec(scope ?? "")?.[1];
    if (!repository) {
      response.writeHead(400, { "content-type": "application/json" });
      response.end('{"errors":[{"code":"DENIED","message":"bad scope"}]}');
      return;
    }
    const token = `stand-in-token-${this.issuedTokens.length + 1}-${Math.random().toString(36).slice(2)}`;
    this.issuedTokens.push(token);
    this.#tokens.set(token, repository);
    response.writeHead(200, { "content-type": "application/json" });
    response.end(JSON.stringify({ [this.#tokenField]: token, expires_in: 300 }));
  }

  #manifest(repository: string, reference: string, response: ServerResponse): void {
    const manifest = this.#manifests.get(repository)?.get(reference);
    if (!manifest) {
      registryError(response, 404, "MANIFEST_UNKNOWN", "manifest unknown");
      return;
    }
    const bytes = this.faults.manifestInstead?.get(reference) ?? manifest.bytes;
    response.writeHead(200, {
      "content-type": manifest.mediaType,
      "content-length": bytes.length,
      "docker-content-digest": this.faults.wrongDigestHeader
        ? sha256(Buffer.from("other"))
        : sha256(manifest.bytes),
    });
    response.end(bytes);
  }

  #storageBlob(url: URL, response: ServerResponse): void {
    const match = /^\/storage\/(.+)\/(sha256:[a-f0-9]{64})$/.exec(url.pathname);
    const blob = match ? this.#blobs.get(match[1] ?? "")?.get(match[2] ?? "") : undefined;
    if (!match || !blob || url.search !== `?${REDIRECT_SIGNATURE}`) {
      response.writeHead(403, { "content-type": "text/plain" });
      response.end("signature required");
      return;
    }
    this.#sendBlob(match[1] ?? "", match[2] ?? "", blob, response);
  }

  #sendBlob(_repository: string, digest: string, genuine: Buffer, response: ServerResponse): void {
    const bytes = this.faults.blobInstead?.get(digest) ?? genuine;
    if (this.faults.hideBlobLength) {
      response.writeHead(200, { "content-type": "application/octet-stream" });
      // Several writes, so the client sees the stream grow past the expected size.
      for (let offset = 0; offset < bytes.length; offset += 1024)
        response.write(bytes.subarray(offset, offset + 1024));
      response.end();
      return;
    }
    response.writeHead(200, { "content-type": "application/octet-stream", "content-length": bytes.length });
    response.end(bytes);
  }
}

export interface StandInRegistryOptions {
  /** Require bearer tokens (default true). */
  readonly auth?: boolean;
  /** The JSON field the token endpoint answers with: `token` (default) or `access_token`. */
  readonly tokenField?: "token" | "access_token";
}

function registryError(response: ServerResponse, status: number, code: string, message: string): void {
  response.writeHead(status, { "content-type": "application/json" });
  response.end(JSON.stringify({ errors: [{ code, message }] }));
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () =>
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    );
  });
}
