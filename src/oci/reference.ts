import { HomelabError, type SourceLocation } from "../errors/index.js";

/**
 * A container image reference after Docker's normalisation: `alpine:3` is
 * `{ registry: "docker.io", repository: "library/alpine", tag: "3" }`.
 * With both a tag and a digest, the digest decides what is pulled (as with `docker pull`).
 */
export interface ImageReference {
  /** Host with an optional port, e.g. `ghcr.io`, `localhost:5000`; `docker.io` for Docker Hub. */
  readonly registry: string;
  /** Slash-separated lowercase path, e.g. `kube-vip/kube-vip`, `library/alpine`. */
  readonly repository: string;
  readonly tag?: string;
  /** `sha256:<64 lowercase hex>`: the only digest algorithm homelab accepts. */
  readonly digest?: string;
}

export const DOCKER_HUB = "docker.io";

const EXAMPLE =
  "A valid reference looks like ghcr.io/kube-vip/kube-vip:v1.2.3 or " +
  "ghcr.io/kube-vip/kube-vip@sha256:<64 hex digits>: [registry/]repository[:tag][@sha256:digest], " +
  "with a lowercase repository; without a registry it is Docker Hub (docker.io).";

// The grammar of distribution/reference (reference.go, "Grammar"), which the OCI distribution
// spec's `<name>` and tag rules (spec.md, "Pulling manifests") agree with.
const DOMAIN_COMPONENT = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const DOMAIN = new RegExp(
  `^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[0-9a-fA-F:.]+\\])(?::[0-9]+)?$`,
);
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[_.]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST = /^[A-Za-z0-9_+.-]+:[A-Fa-f0-9]+$/;
export const SHA256_DIGEST = /^sha256:[a-f0-9]{64}$/;
/** distribution/reference's NameTotalLengthMax. */
const MAX_NAME_LENGTH = 255;

/**
 * Parses `[registry/]repository[:tag][@digest]` with Docker's defaults: no registry is
 * `docker.io`, and a one-segment repository there is `library/<name>`. The first segment is the
 * registry when it contains `.` or `:` or is `localhost` (distribution/reference normalize.go,
 * splitDockerDomain); `index.docker.io` is `docker.io`. A missing tag stays missing:
 * `RegistryClient.resolveImage` asks for `latest` then, as Docker does.
 */
export function parseImageReference(text: string, where?: SourceLocation): ImageReference {
  const invalid = (why: string) =>
    new HomelabError(
      "image-reference-invalid",
      `${JSON.stringify(text)} is not a valid image reference: ${why}`,
      {
        fix: EXAMPLE,
        ...(where ? { where } : {}),
      },
    );
  if (text.trim() === "") throw invalid("it is empty");
  if (text !== text.trim() || /\s/.test(text)) throw invalid("it contains white space");

  let rest = text;
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw invalid(`the digest ${JSON.stringify(digest)} is not <algorithm>:<hex>`);
    if (!digest.startsWith("sha256:"))
      throw invalid(`the digest uses ${digest.split(":")[0]}, and homelab accepts only sha256`);
    if (!SHA256_DIGEST.test(digest)) throw invalid("a sha256 digest has exactly 64 lowercase hex digits");
  }

  // A tag follows the last colon, unless that colon belongs to a registry port (`host:5000/x`).
  let tag: string | undefined;
  const colon = rest.lastIndexOf(":");
  if (colon !== -1 && !rest.slice(colon + 1).includes("/")) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag))
      throw invalid(
        `the tag ${JSON.stringify(tag)} is not 1–128 letters, digits, "_", "." or "-" (not starting with "." or "-")`,
      );
  }
  if (rest === "") throw invalid("it names no repository");

  let registry = DOCKER_HUB;
  let repository = rest;
  const slash = rest.indexOf("/");
  if (slash !== -1) {
    const first = rest.slice(0, slash);
    if (first.includes(".") || first.includes(":") || first === "localhost") {
      registry = first === "index.docker.io" ? DOCKER_HUB : first;
      repository = rest.slice(slash + 1);
      if (!DOMAIN.test(first)) throw invalid(`the registry ${JSON.stringify(first)} is not a host[:port]`);
    }
  }
  if (repository === "") throw invalid("it names a registry but no repository");
  for (const component of repository.split("/")) {
    if (component === "")
      throw invalid(`the repository ${JSON.stringify(repository)} has an empty path segment`);
    if (component !== component.toLowerCase())
      throw invalid(`the repository ${JSON.stringify(repository)} must be lowercase`);
    if (!PATH_COMPONENT.test(component))
      throw invalid(
        `the repository segment ${JSON.stringify(component)} may hold only a–z, 0–9 and single ".", "_", "__" or "-" runs between them`,
      );
  }
  if (registry === DOCKER_HUB && !repository.includes("/")) repository = `library/${repository}`;
  if (registry.length + 1 + repository.length > MAX_NAME_LENGTH)
    throw invalid(`the name is longer than ${MAX_NAME_LENGTH} characters`);

  return { registry, repository, ...(tag !== undefined ? { tag } : {}), ...(digest ? { digest } : {}) };
}

/** The fully qualified form, e.g. `docker.io/library/alpine:3.20@sha256:…`; parses back to the same value. */
export function formatImageReference(reference: ImageReference): string {
  return (
    `${reference.registry}/${reference.repository}` +
    (reference.tag !== undefined ? `:${reference.tag}` : "") +
    (reference.digest !== undefined ? `@${reference.digest}` : "")
  );
}
