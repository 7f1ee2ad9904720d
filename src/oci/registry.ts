import { createHash } from "node:crypto";
import { HomelabError } from "../errors/index.js";
import type { DownloadTimeouts, Fetch } from "../image/download.js";
import { type BearerChallenge, parseChallenge, pullScope, tokenFromResponse, tokenUrl } from "./auth.js";
import {
  discard,
  printableUrl,
  pullFailed,
  readBody,
  registryErrorSummary,
  type SentRequest,
  send,
} from "./http.js";
import {
  DEFAULT_PLATFORM,
  type Descriptor,
  type ManifestDocument,
  type Platform,
  parseManifestDocument,
  selectPlatform,
} from "./manifest.js";
import { MANIFEST_ACCEPT } from "./media-types.js";
import { DOCKER_HUB, formatImageReference, type ImageReference, SHA256_DIGEST } from "./reference.js";

/**
 * Registries SHOULD accept manifests up to 4 MiB and MAY refuse larger ones (distribution-spec
 * spec.md, "Pushing Manifests"); a client has no reason to read more.
 */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
/** The largest blob homelab holds in memory: far above kube-vip's layers (tens of MB). */
export const MAX_BLOB_BYTES = 1024 * 1024 * 1024;
const MAX_SMALL_BODY_BYTES = 64 * 1024;

export interface RegistryClientOptions {
  readonly fetch: Fetch;
  /** https://<registry> by default; docker.io → https://registry-1.docker.io. Tests map to http://127.0.0.1:PORT. */
  readonly baseUrl?: (registry: string) => string;
  readonly timeouts?: DownloadTimeouts;
}

export interface PulledManifest {
  /** sha256:<hex> of `bytes` (the platform image manifest, not the index). */
  readonly digest: string;
  /** OCI or Docker v2 schema 2 image manifest. */
  readonly mediaType: string;
  /** Exactly as served. */
  readonly bytes: Buffer;
  readonly config: Descriptor;
  readonly layers: readonly Descriptor[];
}

/** Docker Hub's API lives on registry-1.docker.io, not on docker.io itself. */
export function defaultRegistryBaseUrl(registry: string): string {
  return registry === DOCKER_HUB ? "https://registry-1.docker.io" : `https://${registry}`;
}

export function sha256Digest(bytes: Uint8Array): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

const MISMATCH_FIX =
  "Nothing was kept. Run the command again: a proxy or a broken connection can change bytes on the way. " +
  "If it happens again, the registry serves other bytes than the digest names: do not use that image until you know why.";

function digestMismatch(message: string): HomelabError {
  return new HomelabError("image-digest-mismatch", message, { fix: MISMATCH_FIX });
}

interface FetchedManifest {
  readonly digest: string;
  readonly bytes: Buffer;
  readonly document: ManifestDocument;
  readonly url: string;
}

/**
 * Pulls images from an OCI distribution registry (opencontainers/distribution-spec spec.md,
 * "Pull"), anonymously, verifying every manifest and blob against its sha256 digest before
 * handing it out. Bearer tokens are cached per repository for the client's lifetime; they are
 * never part of an error message.
 */
export class RegistryClient {
  readonly #fetch: Fetch;
  readonly #baseUrl: (registry: string) => string;
  readonly #timeouts: DownloadTimeouts | undefined;
  readonly #tokens = new Map<string, Promise<string>>();

  constructor(options: RegistryClientOptions) {
    this.#fetch = options.fetch;
    this.#baseUrl = options.baseUrl ?? defaultRegistryBaseUrl;
    this.#timeouts = options.timeouts;
  }

  /**
   * The image manifest of `reference` for `platform` (default linux/amd64): by digest when the
   * reference has one, else by tag (`latest` when it has neither, as Docker does). An index or
   * manifest list is narrowed to the platform's entry, skipping attestations, and that manifest
   * is fetched by its digest. A reference straight to an image manifest is returned as it is:
   * its platform is recorded only in its config.
   */
  async resolveImage(
    reference: ImageReference,
    platform: Platform = DEFAULT_PLATFORM,
  ): Promise<PulledManifest> {
    const fetched = reference.digest
      ? await this.#manifest(reference, reference.digest, { digest: reference.digest })
      : await this.#manifest(reference, reference.tag ?? "latest");
    if (fetched.document.kind === "image") return pulled(fetched, fetched.document);
    const entry = selectPlatform(fetched.document.manifests, platform, printableUrl(fetched.url));
    return this.#imageManifest(reference, entry.digest, entry.size);
  }

  /** The image manifest with this digest; bytes with another sha256 are refused (`image-digest-mismatch`). */
  async manifestByDigest(reference: ImageReference, digest: string): Promise<PulledManifest> {
    if (!SHA256_DIGEST.test(digest))
      throw new HomelabError(
        "image-reference-invalid",
        `${JSON.stringify(digest)} is not a manifest digest of ${formatImageReference(reference)}`,
        { fix: "A manifest digest is sha256:<64 lowercase hex digits>; homelab accepts only sha256." },
      );
    return this.#imageManifest(reference, digest, undefined);
  }

  /**
   * The blob `descriptor` names, verified: never more than `descriptor.size` bytes are read
   * (the connection is closed at the first byte over), and size and sha256 must match.
   */
  async blob(reference: ImageReference, descriptor: Descriptor): Promise<Buffer> {
    const name = `blob ${descriptor.digest} of ${formatImageReference(reference)}`;
    if (!SHA256_DIGEST.test(descriptor.digest))
      throw pullFailed(
        `${name}: the digest is not sha256:<64 lowercase hex>; homelab accepts only sha256 digests`,
        "Use an image whose manifest names its layers by sha256 digests.",
      );
    if (!Number.isSafeInteger(descriptor.size) || descriptor.size < 0)
      throw pullFailed(
        `${name}: the size ${descriptor.size} is not a byte count`,
        "Check the image's manifest.",
      );
    if (descriptor.size > MAX_BLOB_BYTES)
      throw pullFailed(
        `${name} is ${descriptor.size} bytes, more than the ${MAX_BLOB_BYTES} bytes (1 GiB) homelab pulls into memory`,
        "Use a smaller image: the images homelab carries to the nodes (kube-vip) are tens of megabytes.",
      );
    const sent = await this.#get(reference, `blobs/${descriptor.digest}`, {}, name);
    const announced = contentLength(sent.response);
    if (
      announced !== undefined &&
      announced > descriptor.size &&
      !sent.response.headers.has("content-encoding")
    ) {
      await discard(sent.response, sent.timed);
      throw digestMismatch(
        `${name}: ${printableUrl(sent.url)} announces ${announced} bytes, but the manifest records ${descriptor.size}`,
      );
    }
    const body = await readBody(sent, descriptor.size, { exactSize: true });
    if (body.tooLarge)
      throw digestMismatch(
        `${name}: ${printableUrl(sent.url)} sent more than the ${descriptor.size} bytes the manifest records; the download was stopped there`,
      );
    const actual = sha256Digest(body.bytes);
    if (body.bytes.length !== descriptor.size || actual !== descriptor.digest)
      throw digestMismatch(
        `${name}: ${printableUrl(sent.url)} sent ${body.bytes.length} bytes with digest ${actual}, but the manifest records ${descriptor.size} bytes with digest ${descriptor.digest}`,
      );
    return body.bytes;
  }

  async #imageManifest(
    reference: ImageReference,
    digest: string,
    size: number | undefined,
  ): Promise<PulledManifest> {
    const fetched = await this.#manifest(reference, digest, {
      digest,
      ...(size !== undefined ? { size } : {}),
    });
    if (fetched.document.kind !== "image")
      throw new HomelabError(
        "image-pull-failed",
        `the manifest ${digest} of ${formatImageReference(reference)} is an image index (${fetched.document.mediaType}), not an image manifest`,
        {
          where: { file: printableUrl(fetched.url), path: "$.mediaType" },
          fix: "Refer to the image by its tag or by the index digest, and homelab picks the linux/amd64 image from the index.",
        },
      );
    return pulled(fetched, fetched.document);
  }

  /** GET manifests/<target>, bounded and verified: against `expected` when fetched by digest. */
  async #manifest(
    reference: ImageReference,
    target: string,
    expected?: { readonly digest: string; readonly size?: number },
  ): Promise<FetchedManifest> {
    const name = `the manifest ${formatImageReference({ registry: reference.registry, repository: reference.repository })}${target.startsWith("sha256:") ? "@" : ":"}${target}`;
    const sent = await this.#get(reference, `manifests/${target}`, { Accept: MANIFEST_ACCEPT }, name);
    const tooLarge = () =>
      pullFailed(
        `${name}: ${printableUrl(sent.url)} serves more than ${MAX_MANIFEST_BYTES} bytes (4 MiB), more than any image manifest needs`,
        "Check the image reference: that is not a container image manifest homelab can use.",
      );
    const announced = contentLength(sent.response);
    if (announced !== undefined && announced > MAX_MANIFEST_BYTES) {
      await discard(sent.response, sent.timed);
      throw tooLarge();
    }
    const body = await readBody(sent, MAX_MANIFEST_BYTES);
    if (body.tooLarge) throw tooLarge();
    const digest = sha256Digest(body.bytes);
    if (expected && digest !== expected.digest)
      throw digestMismatch(
        `${name}: ${printableUrl(sent.url)} sent bytes with digest ${digest}, not the ${expected.digest} they were asked for`,
      );
    if (expected?.size !== undefined && body.bytes.length !== expected.size)
      throw digestMismatch(
        `${name}: the index records ${expected.size} bytes for it, but ${printableUrl(sent.url)} sent ${body.bytes.length}`,
      );
    // By tag there is no digest of our own to check against; the registry's own statement of
    // it (distribution-spec "Docker-Content-Digest") must at least agree with the bytes.
    const claimed = sent.response.headers.get("docker-content-digest")?.trim();
    if (!expected && claimed?.startsWith("sha256:") && claimed !== digest)
      throw digestMismatch(
        `${name}: ${printableUrl(sent.url)} says (Docker-Content-Digest) it sent ${claimed}, but the bytes have digest ${digest}`,
      );
    const document = parseManifestDocument(
      body.bytes,
      sent.response.headers.get("content-type"),
      printableUrl(sent.url),
    );
    return { digest, bytes: body.bytes, document, url: sent.url };
  }

  /**
   * GET /v2/<repository>/<path> with the repository's token when there is one; a 401 with a
   * Bearer challenge gets a fresh anonymous token and one retry. Answers anything but 2xx with
   * `image-pull-failed`.
   */
  async #get(
    reference: ImageReference,
    path: string,
    headers: Readonly<Record<string, string>>,
    name: string,
  ): Promise<SentRequest> {
    const url = `${this.#baseUrl(reference.registry).replace(/\/+$/, "")}/v2/${reference.repository}/${path}`;
    const key = `${reference.registry}/${reference.repository}`;
    const cached = this.#tokens.get(key);
    const firstToken = cached ? await cached : undefined;
    let sent = await send(this.#fetch, url, withToken(headers, firstToken), this.#timeouts);
    if (sent.response.status === 401) {
      const challenge = parseChallenge(sent.response.headers.get("www-authenticate"));
      await discard(sent.response, sent.timed);
      if (challenge.kind === "none")
        throw pullFailed(
          `${name}: ${printableUrl(url)} answered HTTP 401 Unauthorized without a Bearer challenge (WWW-Authenticate), so homelab cannot ask for an anonymous token`,
        );
      if (challenge.kind === "other")
        throw pullFailed(
          `${name}: ${printableUrl(url)} asks for credentials (${challenge.scheme} authentication); homelab pulls anonymously`,
          "Use a public image, or a registry that hands out anonymous pull tokens (as ghcr.io and Docker Hub do for public images).",
        );
      const token = await this.#token(reference, challenge.challenge, cached);
      sent = await send(this.#fetch, url, withToken(headers, token), this.#timeouts);
      if (sent.response.status === 401) {
        await discard(sent.response, sent.timed);
        throw pullFailed(
          `${name}: ${printableUrl(url)} refused the anonymous token (HTTP 401): the image is private or does not exist`,
          `Check the image reference (${formatImageReference(reference)}): homelab pulls public images only. ` +
            "Without internet access, bring the image with `homelab artifacts ENV --from DIR`.",
        );
      }
    }
    if (sent.response.status < 200 || sent.response.status > 299) {
      const summary = await readBody(sent, MAX_SMALL_BODY_BYTES).then(
        (body) => (body.tooLarge ? undefined : registryErrorSummary(body.bytes)),
        () => undefined,
      );
      throw httpError(name, sent, summary, reference);
    }
    return sent;
  }

  /** The repository's token: one request per repository, shared by concurrent pulls; `stale` is replaced. */
  #token(
    reference: ImageReference,
    challenge: BearerChallenge,
    stale: Promise<string> | undefined,
  ): Promise<string> {
    const key = `${reference.registry}/${reference.repository}`;
    const current = this.#tokens.get(key);
    if (current && current !== stale) return current;
    const pending = this.#requestToken(reference, challenge);
    this.#tokens.set(key, pending);
    pending.catch(() => {
      if (this.#tokens.get(key) === pending) this.#tokens.delete(key);
    });
    return pending;
  }

  async #requestToken(reference: ImageReference, challenge: BearerChallenge): Promise<string> {
    const url = tokenUrl(challenge, reference.repository);
    const scope = challenge.scope ?? pullScope(reference.repository);
    if (!url)
      throw pullFailed(
        `${reference.registry} names ${JSON.stringify(printableUrl(challenge.realm))} as its token realm, which is not an http(s) URL`,
      );
    const realm = printableUrl(url.href);
    const sent = await send(this.#fetch, url.href, { Accept: "application/json" }, this.#timeouts);
    if (sent.response.status !== 200) {
      await discard(sent.response, sent.timed);
      throw pullFailed(
        `the token endpoint ${realm} of ${reference.registry} answered HTTP ${sent.response.status} ${sent.response.statusText}`.trim() +
          ` for scope ${scope}`,
      );
    }
    const body = await readBody(sent, MAX_SMALL_BODY_BYTES);
    let parsed: unknown;
    try {
      parsed = body.tooLarge ? undefined : JSON.parse(body.bytes.toString("utf8"));
    } catch {
      parsed = undefined;
    }
    const token = tokenFromResponse(parsed);
    if (token === undefined)
      throw pullFailed(
        `the token endpoint ${realm} of ${reference.registry} answered without a token for scope ${scope}`,
      );
    return token;
  }
}

function withToken(
  headers: Readonly<Record<string, string>>,
  token: string | undefined,
): Record<string, string> {
  return token === undefined ? { ...headers } : { ...headers, Authorization: `Bearer ${token}` };
}

function contentLength(response: Response): number | undefined {
  const header = response.headers.get("content-length");
  if (header === null || !/^\d+$/.test(header.trim())) return undefined;
  return Number(header);
}

function pulled(
  fetched: FetchedManifest,
  document: Extract<ManifestDocument, { readonly kind: "image" }>,
): PulledManifest {
  return {
    digest: fetched.digest,
    mediaType: document.mediaType,
    bytes: fetched.bytes,
    config: document.config,
    layers: document.layers,
  };
}

function httpError(
  name: string,
  sent: SentRequest,
  summary: string | undefined,
  reference: ImageReference,
): HomelabError {
  const { status, statusText } = sent.response;
  const message =
    `${name}: GET ${printableUrl(sent.url)} answered HTTP ${status}${statusText ? ` ${statusText}` : ""}` +
    (summary ? ` (${summary})` : "");
  if (status === 404)
    return pullFailed(
      message,
      `Check the image reference (${formatImageReference(reference)}): the repository, tag or digest does not exist on ${reference.registry}. ` +
        "Without internet access, bring the image with `homelab artifacts ENV --from DIR`.",
    );
  if (status === 429)
    return pullFailed(
      message,
      "The registry limits anonymous pulls: wait a while and run the command again. " +
        "Without internet access, bring the image with `homelab artifacts ENV --from DIR`.",
    );
  return pullFailed(message);
}
