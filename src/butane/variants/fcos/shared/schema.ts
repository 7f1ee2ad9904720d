import {
  BOOL,
  field,
  findStruct,
  INT,
  list,
  ptr,
  STRING,
  type StructSpec,
  struct,
} from "../../../schema/types.js";

/** What an fcos spec version adds to its Butane base, by version. */
export interface FcosFeatures {
  /** Go package of the spec version (`v1_3`), used in type names. */
  readonly pkg: string;
  /** 1.3.0 and later: `boot_device` (1.2.0 is its base alone, plus the reserved-label warning). */
  readonly bootDevice: boolean;
  /** 1.5.0 and later: `boot_device.luks.discard` and `grub.users`. */
  readonly grub: boolean;
  /** 1.6.0-experimental: `boot_device.luks.device` and the s390x layouts. */
  readonly s390x: boolean;
}

/**
 * The fcos root schema (config/fcos/v1_x/schema.go): the base config inline, then
 * `boot_device` (root disk encryption and mirroring) and, from 1.5.0, `grub`.
 */
export function fcosConfigSchema(base: StructSpec, features: FcosFeatures): StructSpec {
  const { pkg } = features;
  const tang = findStruct(base, "Tang");
  if (!tang) throw new Error("base schema without Tang");
  const luks = struct(`${pkg}.BootDeviceLuks`, [
    ...(features.grub ? [ptr("discard", BOOL)] : []),
    ...(features.s390x ? [ptr("device", STRING)] : []),
    field("tang", list(tang)),
    ptr("threshold", INT),
    ptr("tpm2", BOOL),
  ]);
  const bootDevice = struct(`${pkg}.BootDevice`, [
    ptr("layout", STRING),
    field("luks", luks),
    field("mirror", struct(`${pkg}.BootDeviceMirror`, [field("devices", list(STRING))])),
  ]);
  const grub = struct(`${pkg}.Grub`, [
    field("users", list(struct(`${pkg}.GrubUser`, [field("name", STRING), ptr("password_hash", STRING)]))),
  ]);
  return struct(`${pkg}.Config`, [
    ...base.fields,
    ...(features.bootDevice ? [field("boot_device", bootDevice)] : []),
    ...(features.grub ? [field("grub", grub)] : []),
  ]);
}
