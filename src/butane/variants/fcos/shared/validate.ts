import type { PathElement, Report } from "../../../diagnostics.js";
import type { StructChecks } from "../../../schema/walk.js";
import type { DecodedStruct } from "../../../yaml/decode.js";
import type { FcosFeatures } from "./schema.js";

/** fcos errors, word for word (config/common/errors.go). */
export const ERR_UNKNOWN_BOOT_DEVICE_LAYOUT =
  "layout must be one of: aarch64, ppc64le, s390x-eckd, s390x-virt, s390x-zfcp, x86_64";
export const ERR_TOO_FEW_MIRROR_DEVICES = "mirroring requires at least two devices";
export const ERR_NO_LUKS_BOOT_DEVICE = "device is required for layouts: s390x-eckd, s390x-zfcp";
export const ERR_MIRROR_NOT_SUPPORTED =
  "mirroring not supported on layouts: s390x-eckd, s390x-zfcp, s390x-virt";
export const ERR_LUKS_BOOT_DEVICE_BAD_NAME =
  "device name must start with /dev/dasd on s390x-eckd layout or /dev/sd on s390x-zfcp layout";
export const ERR_REUSE_BY_LABEL =
  "partitions cannot be reused by label; number must be specified except on boot disk (/dev/disk/by-id/coreos-boot-disk) or when wipe_table is true";
export const ERR_MOUNT_POINT_FORBIDDEN = "path must be under /etc or /var if with_mount_unit is true";
export const ERR_GRUB_USER_NAME = 'field "name" is required';
export const ERR_GRUB_PASSWORD = 'field "password_hash" is required';

const obj = (v: unknown): DecodedStruct =>
  v !== undefined && v !== null && typeof v === "object" && !Array.isArray(v) ? (v as DecodedStruct) : {};
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const nilOrEmpty = (v: unknown): boolean => v === undefined || v === "";

function mirrorCheck(value: DecodedStruct, path: readonly PathElement[], report: Report): void {
  if (arr(value.devices).length === 1) report.error([...path, "devices"], ERR_TOO_FEW_MIRROR_DEVICES);
}

/**
 * The fcos source checks added to the base's (config/fcos/v1_x/validate.go). BootDevice's
 * check runs the mirror's check itself and the walk runs it again, so a one-device mirror is
 * reported twice, as by the reference.
 */
export function fcosChecks(base: StructChecks, features: FcosFeatures): StructChecks {
  const s390x = new Set(features.s390x ? ["s390x-eckd", "s390x-zfcp", "s390x-virt"] : []);
  const layouts = new Set(["aarch64", "ppc64le", "x86_64", ...s390x]);
  const checks: Record<string, StructChecks[string]> = {
    ...base,
    BootDevice(value, path, report) {
      const layout = value.layout;
      if (typeof layout === "string") {
        const device = obj(value.luks).device;
        if (!layouts.has(layout)) report.error([...path, "layout"], ERR_UNKNOWN_BOOT_DEVICE_LAYOUT);
        else if (layout === "s390x-eckd" || layout === "s390x-zfcp") {
          const pattern = layout === "s390x-eckd" ? /\/dev\/dasd[a-z]$/ : /\/dev\/sd[a-z]$/;
          if (nilOrEmpty(device)) report.error([...path, layout], ERR_NO_LUKS_BOOT_DEVICE);
          else if (!pattern.test(String(device)))
            report.error([...path, layout], ERR_LUKS_BOOT_DEVICE_BAD_NAME);
        }
        if (s390x.has(layout) && arr(obj(value.mirror).devices).length > 0)
          report.error([...path, layout], ERR_MIRROR_NOT_SUPPORTED);
      }
      mirrorCheck(obj(value.mirror), [...path, "mirror"], report);
    },
    BootDeviceMirror: mirrorCheck,
  };
  if (features.grub) {
    checks.GrubUser = (value, path, report) => {
      if (nilOrEmpty(value.name)) report.error([...path, "name"], ERR_GRUB_USER_NAME);
      if (nilOrEmpty(value.password_hash)) report.error([...path, "password_hash"], ERR_GRUB_PASSWORD);
    };
  }
  if (features.s390x) {
    // 1.6.0-experimental checks on the whole config, before any other.
    checks.Config = (value, _path, report) => {
      const storage = obj(value.storage);
      arr(storage.disks).forEach((d, i) => {
        const disk = obj(d);
        if (disk.device === "/dev/disk/by-id/coreos-boot-disk" || disk.wipe_table === true) return;
        arr(disk.partitions).forEach((p, j) => {
          const part = obj(p);
          if ((part.number ?? 0) === 0 && part.label !== undefined)
            report.warn(["storage", "disks", i, "partitions", j, "number"], ERR_REUSE_BY_LABEL);
        });
      });
      arr(storage.filesystems).forEach((f, i) => {
        const fs = obj(f);
        if (typeof fs.path === "string" && !/^\/(etc|var)(\/|$)/.test(fs.path) && fs.with_mount_unit === true)
          report.error(["storage", "filesystems", i, "path"], ERR_MOUNT_POINT_FORBIDDEN);
      });
    };
  }
  return checks;
}
