import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { HomelabError } from "../../src/errors/index.js";
import type { Fetch } from "../../src/image/download.js";
import {
  DOCKER_MANIFEST,
  DOCKER_MANIFEST_LIST,
  type ImageReference,
  OCI_INDEX,
  OCI_MANIFEST,
  parseImageReference,
  RegistryClient,
  sha256Digest,
} from "../../src/oci/index.js";
import {
  type BuiltImage,
  type BuiltIndex,
  buildImage,
  buildIndex,
  REDIRECT_SIGNATURE,
  type RegistryFaults,
  StandInRegistry,
} from "../support/oci-registry.js";

/** The global fetch, refusing anything but 127.0.0.1 (no test reaches the network). */
const loopbackFetch: Fetch = (url, init) => {
  if (new URL(url).hostname !== "127.0.0.1") throw new Error(`a test tried to reach ${url}`);
  return fetch(url, init);
};
/** The same, but handing 3xx back to the client, which must then follow them itself. */
const manualRedirectFetch: Fetch = (url, init) => {
  if (new URL(url).hostname !== "127.0.0.1") throw new Error(`a test tried to reach ${url}`);
  return fetch(url, { ...init, redirect: "manual" });
};

const AMD64 = { os: "linux", architecture: "amd64" };
const ARM64 = { os: "linux", architecture: "arm64", variant: "v8" };

let registry: StandInRegistry;
const images: Record<string, BuiltImage> = {};
const indexes: Record<string, BuiltIndex> = {};

function client(fetchFunction: Fetch = loopbackFetch, target: StandInRegistry = registry): RegistryClient {
  return new RegistryClient({ fetch: fetchFunction, baseUrl: () => target.url });
}

beforeAll(async () => {
  registry = await StandInRegistry.start();
  images.ociAmd64 = buildImage({ format: "oci", platform: AMD64, seed: 1 });
  images.ociArm64 = buildImage({ format: "oci", platform: ARM64, seed: 2 });
  images.dockerAmd64 = buildImage({ format: "docker", platform: AMD64, seed: 3 });
  images.dockerArm64 = buildImage({ format: "docker", platform: ARM64, seed: 4 });
  images.single = buildImage({ format: "docker", platform: AMD64, seed: 5, layerCount: 3 });
  images.singleOci = buildImage({ format: "oci", platform: AMD64, seed: 6, layerCount: 1 });
  indexes.oci = buildIndex([images.ociAmd64, images.ociArm64], { format: "oci" });
  indexes.docker = buildIndex([images.dockerArm64, images.dockerAmd64], {
    format: "docker",
    attestations: false,
  });
  registry.pushIndex("kube-vip/kube-vip", "v1.2.3", indexes.oci);
  registry.pushIndex("library/alpine", "3", indexes.docker);
  registry.pushIndex("library/alpine", "latest", indexes.docker);
  registry.pushImage("team/single", "1", images.single);
  registry.pushImage("team/single-oci", "1", images.singleOci);
});

afterAll(async () => {
  await registry?.close();
});

beforeEach(() => {
  registry.faults = {};
  registry.requests.length = 0;
  registry.tokenRequests.length = 0;
});

/** Pulls the manifest and every blob, as the archive builder will. */
async function pullAll(pulling: RegistryClient, reference: ImageReference, platform = AMD64) {
  const manifest = await pulling.resolveImage(reference, platform);
  const blobs = [];
  for (const descriptor of [manifest.config, ...manifest.layers])
    blobs.push(await pulling.blob(reference, descriptor));
  return { manifest, blobs };
}

function expectImage(pulled: Awaited<ReturnType<typeof pullAll>>, image: BuiltImage): void {
  expect(pulled.manifest.digest).toBe(image.manifest.digest);
  expect(pulled.manifest.bytes.equals(image.manifest.bytes)).toBe(true);
  expect(sha256Digest(pulled.manifest.bytes)).toBe(pulled.manifest.digest);
  expect(pulled.manifest.mediaType).toBe(image.manifest.mediaType);
  expect(pulled.manifest.config).toEqual(image.config);
  expect(pulled.manifest.layers).toEqual(image.layers);
  for (const [index, descriptor] of [image.config, ...image.layers].entries())
    expect(pulled.blobs[index]?.equals(image.blobs.get(descriptor.digest) ?? Buffer.alloc(0))).toBe(true);
}

describe("RegistryClient against the stand-in registry", () => {
  it.each<[string, string, () => BuiltImage, string]>([
    ["an OCI index by tag", "ghcr.io/kube-vip/kube-vip:v1.2.3", () => images.ociAmd64!, OCI_MANIFEST],
    ["a Docker manifest list on Docker Hub", "alpine:3", () => images.dockerAmd64!, DOCKER_MANIFEST],
    ["no tag: latest", "alpine", () => images.dockerAmd64!, DOCKER_MANIFEST],
    ["a single Docker manifest", "example.org/team/single:1", () => images.single!, DOCKER_MANIFEST],
    ["a single OCI manifest", "example.org/team/single-oci:1", () => images.singleOci!, OCI_MANIFEST],
  ])("pulls %s (%s)", async (_name, text, image, mediaType) => {
    const pulled = await pullAll(client(), parseImageReference(text));
    expectImage(pulled, image());
    expect(pulled.manifest.mediaType).toBe(mediaType);
  });

  it.each<[string, () => string, () => BuiltImage]>([
    ["the index's digest", () => indexes.oci!.manifest.digest, () => images.ociAmd64!],
    ["the amd64 manifest's digest", () => images.ociAmd64!.manifest.digest, () => images.ociAmd64!],
    ["the Docker list's digest", () => indexes.docker!.manifest.digest, () => images.dockerAmd64!],
  ])("pulls by %s", async (_name, digest, image) => {
    const repository = image() === images.dockerAmd64 ? "alpine" : "ghcr.io/kube-vip/kube-vip";
    // The tag is ignored when a digest is given, as by docker pull.
    const reference = parseImageReference(`${repository}:ignored-tag@${digest()}`);
    expectImage(await pullAll(client(), reference), image());
    expect(registry.requests.some((request) => request.path.endsWith("ignored-tag"))).toBe(false);
  });

  it("fetches an index entry by its digest after choosing it", async () => {
    await client().resolveImage(parseImageReference("ghcr.io/kube-vip/kube-vip:v1.2.3"));
    const manifestPaths = registry.requests
      .filter((request) => request.path.includes("/manifests/") && request.authorization)
      .map((request) => request.path);
    expect(manifestPaths).toEqual([
      "/v2/kube-vip/kube-vip/manifests/v1.2.3",
      `/v2/kube-vip/kube-vip/manifests/${images.ociAmd64!.manifest.digest}`,
    ]);
  });

  it.each<[string, string, () => BuiltImage]>([
    ["OCI index", "ghcr.io/kube-vip/kube-vip:v1.2.3", () => images.ociArm64!],
    ["Docker list", "alpine:3", () => images.dockerArm64!],
  ])("picks linux/arm64/v8 from an %s", async (_name, text, image) => {
    expectImage(await pullAll(client(), parseImageReference(text), ARM64), image());
  });

  it("asks for every manifest type it reads", async () => {
    await client().resolveImage(parseImageReference("ghcr.io/kube-vip/kube-vip:v1.2.3"));
    const accept = registry.requests.find((request) => request.path.includes("/manifests/"))?.accept ?? "";
    for (const type of [OCI_INDEX, DOCKER_MANIFEST_LIST, OCI_MANIFEST, DOCKER_MANIFEST])
      expect(accept).toContain(type);
  });

  it("refuses a platform the index lacks, naming what it offers, at the index", async () => {
    const error = await caught(
      client().resolveImage(parseImageReference("ghcr.io/kube-vip/kube-vip:v1.2.3"), {
        os: "linux",
        architecture: "s390x",
      }),
    );
    expect(error.code).toBe("image-pull-failed");
    expect(error.message).toMatch(/no linux\/s390x image; it offers linux\/amd64, linux\/arm64\/v8$/);
    expect(error.where).toEqual({
      file: `${registry.url}/v2/kube-vip/kube-vip/manifests/v1.2.3`,
      path: "$.manifests",
    });
  });
});

describe("anonymous bearer tokens", () => {
  it("asks once per repository, with the challenge's service and scope", async () => {
    const pulling = client();
    await pullAll(pulling, parseImageReference("ghcr.io/kube-vip/kube-vip:v1.2.3"));
    await pullAll(pulling, parseImageReference("ghcr.io/kube-vip/kube-vip:v1.2.3"), ARM64);
    expect(registry.tokenRequests).toEqual([
      { service: "stand-in-registry", scope: "repository:kube-vip/kube-vip:pull" },
    ]);
    await pullAll(pulling, parseImageReference("alpine:3"));
    expect(registry.tokenRequests.map((request) => request.scope)).toEqual([
      "repository:kube-vip/kube-vip:pull",
      "repository:library/alpine:pull",
    ]);
    // After the first 401, every request carried the token.
    const unauthenticated = registry.requests.filter(
      (request) => request.path.startsWith("/v2/") && !request.authorization,
    );
    expect(unauthenticated.map((request) => request.path)).toEqual([
      "/v2/kube-vip/kube-vip/manifests/v1.2.3",
      "/v2/library/alpine/manifests/3",
    ]);
  });

  it("shares one token request between concurrent pulls of a repository", async () => {
    const pulling = client();
    const reference = parseImageReference("ghcr.io/kube-vip/kube-vip:v1.2.3");
    const manifest = images.ociAmd64!;
    await Promise.all(
      [manifest.config, ...manifest.layers].map((descriptor) => pulling.blob(reference, descriptor)),
    );
    expect(registry.tokenRequests).toHaveLength(1);
  });

  it("gets a fresh token once when the cached one is refused (expired)", async () => {
    const pulling = client();
    const reference = parseImageReference("ghcr.io/kube-vip/kube-vip:v1.2.3");
    await pulling.resolveImage(reference);
    registry.revokeTokens();
    await pulling.blob(reference, images.ociAmd64!.config);
    expect(registry.tokenRequests).toHaveLength(2);
  });

  it("reads access_token, the OAuth 2.0 name", async () => {
    const oauth = await StandInRegistry.start({ tokenField: "access_token" });
    try {
      oauth.pushImage("team/app", "1", images.single!);
      expectImage(
        await pullAll(client(loopbackFetch, oauth), parseImageReference("example.org/team/app:1")),
        images.single!,
      );
      expect(oauth.tokenRequests).toHaveLength(1);
    } finally {
      await oauth.close();
    }
  });

  it("asks for no token from a registry that needs none", async () => {
    const open = await StandInRegistry.start({ auth: false });
    try {
      open.pushImage("team/app", "1", images.single!);
      await pullAll(client(loopbackFetch, open), parseImageReference("example.org/team/app:1"));
      expect(open.tokenRequests).toHaveLength(0);
      expect(open.requests.every((request) => request.authorization === undefined)).toBe(true);
    } finally {
      await open.close();
    }
  });
});

describe("blob redirects", () => {
  it.each<[RegistryFaults["redirectBlobs"] & string, string, Fetch]>([
    ["same-origin", "fetch follows", loopbackFetch],
    ["other-origin", "fetch follows", loopbackFetch],
    ["same-origin", "the client follows", manualRedirectFetch],
    ["other-origin", "the client follows", manualRedirectFetch],
  ])("%s, %s; the token goes to the registry only", async (mode, _who, fetchFunction) => {
    registry.faults.redirectBlobs = mode;
    const pulled = await pullAll(
      client(fetchFunction),
      parseImageReference("ghcr.io/kube-vip/kube-vip:v1.2.3"),
    );
    expectImage(pulled, images.ociAmd64!);
    const storage = registry.requests.filter((request) => request.path.startsWith("/storage/"));
    expect(storage).toHaveLength(1 + images.ociAmd64!.layers.length);
    if (mode === "other-origin") {
      expect(storage.every((request) => request.server === "storage")).toBe(true);
      expect(storage.every((request) => request.authorization === undefined)).toBe(true);
    }
  });
});

async function caught(promise: Promise<unknown>): Promise<HomelabError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof HomelabError) return error;
    throw error;
  }
  throw new Error("expected a HomelabError");
}

const KUBE_VIP = "ghcr.io/kube-vip/kube-vip:v1.2.3";

describe("refused, with the code and nothing handed out", () => {
  const flip = (bytes: Buffer) => {
    const copy = Buffer.from(bytes);
    copy[copy.length >> 1] = (copy[copy.length >> 1] ?? 0) ^ 0xff;
    return copy;
  };
  const amd64 = () => images.ociAmd64!;
  const layer = () => amd64().layers[0]!;
  const layerBytes = () => amd64().blobs.get(layer().digest)!;

  it.each<[string, () => RegistryFaults, "image-digest-mismatch" | "image-pull-failed", RegExp]>([
    [
      "a blob with one byte changed",
      () => ({ blobInstead: new Map([[layer().digest, flip(layerBytes())]]) }),
      "image-digest-mismatch",
      /sent \d+ bytes with digest sha256:[a-f0-9]{64}, but the manifest records \d+ bytes with digest sha256:/,
    ],
    [
      "a longer blob, announced",
      () => ({ blobInstead: new Map([[layer().digest, Buffer.concat([layerBytes(), Buffer.alloc(10)])]]) }),
      "image-digest-mismatch",
      /announces \d+ bytes, but the manifest records/,
    ],
    [
      "a longer blob, streamed without a length",
      () => ({
        hideBlobLength: true,
        blobInstead: new Map([[layer().digest, Buffer.concat([layerBytes(), Buffer.alloc(5000)])]]),
      }),
      "image-digest-mismatch",
      /sent more than the \d+ bytes the manifest records; the download was stopped there/,
    ],
    [
      "a shorter blob",
      () => ({
        hideBlobLength: true,
        blobInstead: new Map([[layer().digest, layerBytes().subarray(0, 100)]]),
      }),
      "image-digest-mismatch",
      /sent 100 bytes with digest/,
    ],
    [
      "other bytes for the platform manifest",
      () => ({
        manifestInstead: new Map([
          [amd64().manifest.digest, Buffer.from(`${amd64().manifest.bytes.toString()} `)],
        ]),
      }),
      "image-digest-mismatch",
      /sent bytes with digest sha256:[a-f0-9]{64}, not the sha256:[a-f0-9]{64} they were asked for/,
    ],
    [
      "a Docker-Content-Digest that differs from the bytes",
      () => ({ wrongDigestHeader: true }),
      "image-digest-mismatch",
      /says \(Docker-Content-Digest\) it sent sha256:[a-f0-9]{64}, but the bytes have digest/,
    ],
    [
      "a missing tag (404)",
      () => ({ notFound: new Set(["/v2/kube-vip/kube-vip/manifests/v1.2.3"]) }),
      "image-pull-failed",
      /manifests\/v1\.2\.3 answered HTTP 404 Not Found \(MANIFEST_UNKNOWN: unknown\)/,
    ],
    [
      "a missing blob (404)",
      () => ({ notFound: new Set([`/v2/kube-vip/kube-vip/blobs/${layer().digest}`]) }),
      "image-pull-failed",
      /blobs\/sha256:[a-f0-9]{64} answered HTTP 404 Not Found \(BLOB_UNKNOWN: unknown\)/,
    ],
    [
      "a 401 without a challenge",
      () => ({ unauthorizedWithoutChallenge: true }),
      "image-pull-failed",
      /answered HTTP 401 Unauthorized without a Bearer challenge/,
    ],
    [
      "a Basic challenge",
      () => ({ challengeInstead: 'Basic realm="stand-in"' }),
      "image-pull-failed",
      /asks for credentials \(Basic authentication\); homelab pulls anonymously/,
    ],
    [
      "a failing token endpoint",
      () => ({ tokenEndpointFails: true }),
      "image-pull-failed",
      /the token endpoint http:\/\/127\.0\.0\.1:\d+\/token of ghcr\.io answered HTTP 500 .* for scope repository:kube-vip\/kube-vip:pull/,
    ],
  ])("%s", async (_name, faults, code, message) => {
    const pulling = client();
    registry.faults = faults();
    const error = await caught(pullAll(pulling, parseImageReference(KUBE_VIP)));
    expect(error.code).toBe(code);
    expect(error.message).toMatch(message);
    expect(error.fix).toBeTruthy();
    if (code === "image-pull-failed" && !error.message.includes("credentials"))
      expect(error.fix).toContain("homelab artifacts ENV --from DIR");
    if (code === "image-digest-mismatch") expect(error.fix).toContain("Nothing was kept");
    const printed = `${error.message}\n${error.fix}`;
    for (const token of registry.issuedTokens) expect(printed).not.toContain(token);
    // Nothing bad is remembered: the same client pulls the genuine image once the fault is gone.
    registry.faults = {};
    expectImage(await pullAll(pulling, parseImageReference(KUBE_VIP)), amd64());
  });

  it("never prints a redirect's signed query", async () => {
    registry.faults = {
      redirectBlobs: "other-origin",
      blobInstead: new Map([[layer().digest, flip(layerBytes())]]),
    };
    const error = await caught(pullAll(client(), parseImageReference(KUBE_VIP)));
    expect(error.code).toBe("image-digest-mismatch");
    expect(error.message).toContain(`${registry.storageUrl}/storage/`);
    expect(error.message).not.toContain(REDIRECT_SIGNATURE);
  });

  it("refuses the token when the registry still answers 401 with it", async () => {
    // A token for another repository is what a registry gives for a private or missing one.
    const pulling = client();
    await pulling.resolveImage(parseImageReference("alpine:3"));
    registry.faults = {
      challengeInstead: `Bearer realm="${registry.url}/token",scope="repository:library/alpine:pull"`,
    };
    const error = await caught(pulling.resolveImage(parseImageReference("ghcr.io/kube-vip/kube-vip:v1.2.3")));
    expect(error.code).toBe("image-pull-failed");
    expect(error.message).toMatch(
      /refused the anonymous token \(HTTP 401\): the image is private or does not exist/,
    );
    for (const token of registry.issuedTokens) expect(error.message).not.toContain(token);
  });

  it.each<[string, () => Buffer, string, RegExp, string]>([
    [
      "schema 1",
      () => Buffer.from(JSON.stringify({ schemaVersion: 1, name: "x", fsLayers: [] })),
      "application/vnd.docker.distribution.manifest.v1+prettyjws",
      /schema 1/,
      "$.schemaVersion",
    ],
    [
      "an unknown media type",
      () => Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.example+json" })),
      "application/vnd.example+json",
      /neither an image manifest/,
      "$.mediaType",
    ],
    [
      "more than 4 MiB",
      () => Buffer.alloc(4 * 1024 * 1024 + 1, 0x20),
      OCI_MANIFEST,
      /more than 4194304 bytes \(4 MiB\)/,
      "",
    ],
  ])("refuses a manifest that is %s, located", async (name, bytes, mediaType, message, path) => {
    const tag = name.replace(/\W+/g, "-");
    registry.putManifest("team/odd", tag, bytes(), mediaType);
    const error = await caught(client().resolveImage(parseImageReference(`example.org/team/odd:${tag}`)));
    expect(error.code).toBe("image-pull-failed");
    expect(error.message).toMatch(message);
    if (path) expect(error.where).toEqual({ file: `${registry.url}/v2/team/odd/manifests/${tag}`, path });
  });

  it("refuses a blob over 1 GiB before asking for it", async () => {
    const before = registry.requests.length;
    const error = await caught(
      client().blob(parseImageReference(KUBE_VIP), { ...layer(), size: 1024 * 1024 * 1024 + 1 }),
    );
    expect(error.code).toBe("image-pull-failed");
    expect(error.message).toMatch(/more than the 1073741824 bytes \(1 GiB\)/);
    expect(registry.requests.length).toBe(before);
  });

  it("refuses an index where an image manifest is asked for by digest", async () => {
    const error = await caught(
      client().manifestByDigest(parseImageReference(KUBE_VIP), indexes.oci!.manifest.digest),
    );
    expect(error.code).toBe("image-pull-failed");
    expect(error.message).toMatch(/is an image index .*, not an image manifest/);
  });

  it("refuses a digest that is not sha256", async () => {
    const error = await caught(
      client().manifestByDigest(parseImageReference(KUBE_VIP), `sha512:${"a".repeat(128)}`),
    );
    expect(error.code).toBe("image-reference-invalid");
  });

  it("says what broke when the registry cannot be reached", async () => {
    const closed = await StandInRegistry.start();
    await closed.close();
    const error = await caught(client(loopbackFetch, closed).resolveImage(parseImageReference(KUBE_VIP)));
    expect(error.code).toBe("image-pull-failed");
    expect(error.message).toMatch(
      /GET http:\/\/127\.0\.0\.1:\d+\/v2\/kube-vip\/kube-vip\/manifests\/v1\.2\.3 failed: .*ECONNREFUSED/,
    );
    expect(error.fix).toContain("homelab artifacts ENV --from DIR");
  });

  it("gives up on a registry that does not answer, after the request timeout", async () => {
    const silent: Fetch = (_url, init) =>
      new Promise((_resolve, reject) =>
        init?.signal?.addEventListener("abort", () => reject(init.signal?.reason)),
      );
    const pulling = new RegistryClient({
      fetch: silent,
      baseUrl: () => registry.url,
      timeouts: { requestMs: 50 },
    });
    const error = await caught(pulling.resolveImage(parseImageReference(KUBE_VIP)));
    expect(error.code).toBe("image-pull-failed");
    expect(error.message).toMatch(/failed: no response within 0\.1s/);
  });
});
