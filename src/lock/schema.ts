import { z } from "zod";

/**
 * `homelab.lock.json`, committed next to `environments/`: what each environment resolves to.
 * Same commit, same infrastructure — render and up read versions and artifact hashes from
 * here, never from the network. `homelab lock [ENV] --update` rewrites an entry.
 */

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, "expected a lowercase hex SHA-256");
const sha512 = z.string().regex(/^[0-9a-f]{128}$/, "expected a lowercase hex SHA-512");
const httpsUrl = z.string().regex(/^https:\/\//, "expected an https:// URL");

export const LockedArtifactSchema = z.strictObject({
  url: httpsUrl,
  sha256,
});

export const LockedFlatcarSchema = z.strictObject({
  channel: z.enum(["stable", "beta", "alpha", "lts"]),
  version: z.string().regex(/^\d+\.\d+\.\d+$/),
  image: z.strictObject({
    url: httpsUrl,
    signatureUrl: httpsUrl,
    /** Primary key fingerprint the detached signature must chain to (the shipped Flatcar key). */
    signingKeyFingerprint: z.string().regex(/^[0-9A-F]{40}$/),
    /** Filled by `lock --update` from Flatcar's signed DIGESTS file, when it could be read. */
    sha512: sha512.optional(),
  }),
});

export const LockedK3sSchema = z.strictObject({
  version: z.string().regex(/^v\d+\.\d+\.\d+\+k3s\d+$/),
  /** The amd64 `k3s` binary, fetched by Ignition with verification.hash. */
  binary: LockedArtifactSchema,
  /**
   * k3s's amd64 air-gap image archive (`k3s-airgap-images-amd64.tar.zst`), recorded for
   * environments that deliver it (`artifacts.airgapImages`, or `offline: true`).
   */
  airgapImages: LockedArtifactSchema.optional(),
});

export const LockedProviderSchema = z.strictObject({
  source: z.literal("dmacvicar/libvirt"),
  version: z.string().regex(/^\d+\.\d+\.\d+$/),
});

/**
 * A container image homelab carries to offline nodes: the registry reference it is pulled as
 * (and named as on the node), the digest of its linux/amd64 image manifest, and the SHA-256 of
 * homelab's archive of it, which is deterministic (src/oci/image-archive.ts).
 */
export const LockedImageSchema = z.strictObject({
  reference: z
    .string()
    .regex(
      /^[a-z0-9.-]+(:[0-9]+)?\/[a-z0-9._/-]+:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/,
      "expected registry/repository:tag",
    ),
  digest: z.string().regex(/^sha256:[0-9a-f]{64}$/, "expected sha256:<64 lowercase hex>"),
  archive: z.strictObject({ sha256 }),
});

export const LockedEnvironmentSchema = z.strictObject({
  flatcar: LockedFlatcarSchema,
  k3s: LockedK3sSchema,
  provider: LockedProviderSchema,
  /** Present when the environment uses GitOps: the Flux version its bootstrap installs. */
  flux: z.strictObject({ version: z.string().regex(/^v\d+\.\d+\.\d+$/) }).optional(),
  /** Present when the environment delivers add-on images (`artifacts.addonImages`, default `offline`). */
  images: z.strictObject({ "kube-vip": LockedImageSchema.optional() }).optional(),
});

export const LockFileSchema = z.strictObject({
  $schema: z.string().optional(),
  lockfileVersion: z.literal(1),
  environments: z.record(z.string(), LockedEnvironmentSchema),
});

export type LockFile = z.output<typeof LockFileSchema>;
export type LockedEnvironment = z.output<typeof LockedEnvironmentSchema>;
export type LockedArtifact = z.output<typeof LockedArtifactSchema>;
export type LockedImage = z.output<typeof LockedImageSchema>;

export const LOCK_FILE_NAME = "homelab.lock.json";
