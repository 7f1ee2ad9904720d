import { describe, expect, it } from "vitest";
import { HomelabError } from "../errors/index.js";
import { formatImageReference, type ImageReference, parseImageReference } from "./reference.js";

const DIGEST = `sha256:${"ab".repeat(32)}`;

describe("parseImageReference", () => {
  it.each<[string, ImageReference]>([
    [
      "ghcr.io/kube-vip/kube-vip:v1.2.3",
      { registry: "ghcr.io", repository: "kube-vip/kube-vip", tag: "v1.2.3" },
    ],
    ["alpine", { registry: "docker.io", repository: "library/alpine" }],
    ["alpine:3.20", { registry: "docker.io", repository: "library/alpine", tag: "3.20" }],
    [
      "rancher/mirrored-pause:3.6",
      { registry: "docker.io", repository: "rancher/mirrored-pause", tag: "3.6" },
    ],
    ["docker.io/alpine:3", { registry: "docker.io", repository: "library/alpine", tag: "3" }],
    ["index.docker.io/library/alpine", { registry: "docker.io", repository: "library/alpine" }],
    ["localhost/app:dev", { registry: "localhost", repository: "app", tag: "dev" }],
    ["localhost:5000/team/app", { registry: "localhost:5000", repository: "team/app" }],
    ["127.0.0.1:5000/app:1", { registry: "127.0.0.1:5000", repository: "app", tag: "1" }],
    ["[::1]:5000/app:1", { registry: "[::1]:5000", repository: "app", tag: "1" }],
    ["quay.io/a/b/c__d-e.f:tag_1-x.y", { registry: "quay.io", repository: "a/b/c__d-e.f", tag: "tag_1-x.y" }],
    [
      `ghcr.io/kube-vip/kube-vip@${DIGEST}`,
      { registry: "ghcr.io", repository: "kube-vip/kube-vip", digest: DIGEST },
    ],
    [
      `ghcr.io/kube-vip/kube-vip:v1.2.3@${DIGEST}`,
      { registry: "ghcr.io", repository: "kube-vip/kube-vip", tag: "v1.2.3", digest: DIGEST },
    ],
    // A port-like suffix on a one-segment name is a tag, as Docker reads it.
    ["localhost:5000", { registry: "docker.io", repository: "library/localhost", tag: "5000" }],
  ])("%s", (text, expected) => {
    expect(parseImageReference(text)).toEqual(expected);
  });

  it.each<[string, RegExp]>([
    ["", /empty/],
    [" alpine", /white space/],
    ["al pine", /white space/],
    ["ghcr.io/Kube-vip/kube-vip:v1", /must be lowercase/],
    ["ghcr.io/kube-vip//kube-vip", /empty path segment/],
    ["ghcr.io/kube-vip/kube-vip:", /tag ""/],
    ["ghcr.io/kube-vip/kube-vip:-v1", /tag "-v1"/],
    [`ghcr.io/x:${"t".repeat(129)}`, /tag/],
    ["ghcr.io/", /no repository/],
    [":v1", /no repository/],
    ["ghcr.io/a-/b", /segment "a-"/],
    ["ghcr.io/a..b/c", /segment "a..b"/],
    ["ghcr.io/kube-vip/kube-vip@sha256:abc", /64 lowercase hex/],
    [`ghcr.io/kube-vip/kube-vip@sha256:${"AB".repeat(32)}`, /64 lowercase hex/],
    [`ghcr.io/kube-vip/kube-vip@sha512:${"ab".repeat(64)}`, /only sha256/],
    ["ghcr.io/kube-vip/kube-vip@latest", /not <algorithm>:<hex>/],
    ["-bad.io/app", /registry "-bad.io"/],
    [`example.com/${"a".repeat(250)}`, /longer than 255/],
  ])("refuses %j", (text, why) => {
    let error: unknown;
    try {
      parseImageReference(text, { file: "src/registration/pins.ts", path: "reference" });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(HomelabError);
    const homelab = error as HomelabError;
    expect(homelab.code).toBe("image-reference-invalid");
    expect(homelab.message).toMatch(why);
    expect(homelab.message).toContain(JSON.stringify(text));
    expect(homelab.fix).toContain("ghcr.io/kube-vip/kube-vip:v1.2.3");
    expect(homelab.where).toEqual({ file: "src/registration/pins.ts", path: "reference" });
  });
});

describe("formatImageReference", () => {
  it.each([
    ["alpine", "docker.io/library/alpine"],
    ["ghcr.io/kube-vip/kube-vip:v1.2.3", "ghcr.io/kube-vip/kube-vip:v1.2.3"],
    [`localhost:5000/a/b:1@${DIGEST}`, `localhost:5000/a/b:1@${DIGEST}`],
  ])("%s → %s, which parses back to the same reference", (text, formatted) => {
    const reference = parseImageReference(text);
    expect(formatImageReference(reference)).toBe(formatted);
    expect(parseImageReference(formatted)).toEqual(reference);
  });
});
