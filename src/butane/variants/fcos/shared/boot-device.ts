import { TranslationSet } from "../../../base/translation.js";
import type { PathElement } from "../../../diagnostics.js";
import type { IgnObject, IgnValue } from "../../../ignition/schema.js";
import type { Decoded, DecodedStruct } from "../../../yaml/decode.js";

/**
 * `boot_device`: the partitions, RAID arrays, LUKS volume and filesystems that encrypt and/or
 * mirror the root disk (processBootDevice in config/fcos/v1_x/translate.go), as a config the
 * user's config is merged over, with the reference's translations for it. The layout copies
 * coreos-assembler's disk image (create_disk.sh); its sizes must never change.
 */
const RESERVED_TYPE_GUID = "8DA63339-0007-60C0-C436-083AC8230908";
const BIOS_TYPE_GUID = "21686148-6449-6E6F-744E-656564454649";
const PREP_TYPE_GUID = "9E1A2D38-C612-4316-AA26-8B49521E5A8B";
const ESP_TYPE_GUID = "C12A7328-F81F-11D2-BA4B-00A0C93EC93B";
const RESERVED_V1_SIZE_MIB = 1;
const BIOS_V1_SIZE_MIB = 1;
const PREP_V1_SIZE_MIB = 4;
const ESP_V1_SIZE_MIB = 127;
const BOOT_V1_SIZE_MIB = 384;

const obj = (v: Decoded | undefined): DecodedStruct =>
  v !== undefined && typeof v === "object" && !Array.isArray(v) ? v : {};
const arr = (v: Decoded | undefined): Decoded[] => (Array.isArray(v) ? v : []);

export interface BootDeviceOptions {
  /** 1.5.0 and later copy `boot_device.luks.discard` to the volume. */
  readonly discard: boolean;
}

export interface Rendered {
  readonly config: IgnObject;
  readonly translations: TranslationSet;
}

function clone(value: Decoded): IgnValue {
  if (Array.isArray(value)) return value.map(clone);
  if (typeof value === "object") {
    const out: IgnObject = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = clone(v);
    return out;
  }
  return value;
}

/** The generated config, or undefined when `boot_device` asks for neither LUKS nor a mirror. */
export function renderBootDevice(cfg: DecodedStruct, options: BootDeviceOptions): Rendered | undefined {
  const bootDevice = obj(cfg.boot_device);
  const luksSource = obj(bootDevice.luks);
  const tang = arr(luksSource.tang);
  const devices = arr(obj(bootDevice.mirror).devices).map(String);
  const wantLuks = luksSource.tpm2 === true || tang.length > 0;
  const wantMirror = devices.length > 0;
  if (!wantLuks && !wantMirror) return undefined;

  const layout = typeof bootDevice.layout === "string" ? bootDevice.layout : undefined;
  const wantBios = layout === undefined || layout === "x86_64";
  const wantEfi = wantBios || layout === "aarch64";
  const wantPrep = layout === "ppc64le";

  const ts = new TranslationSet(false);
  const disks: IgnObject[] = [];
  const filesystems: IgnObject[] = [];
  const raid: IgnObject[] = [];
  const luks: IgnObject[] = [];
  const yamlMirror: PathElement[] = ["boot_device", "mirror"];

  if (wantMirror) {
    devices.forEach((device, i) => {
      const n = disks.length + 1;
      const partitions: IgnObject[] = [];
      if (wantBios)
        partitions.push({ label: `bios-${n}`, sizeMiB: BIOS_V1_SIZE_MIB, typeGuid: BIOS_TYPE_GUID });
      else if (wantPrep)
        partitions.push({ label: `prep-${n}`, sizeMiB: PREP_V1_SIZE_MIB, typeGuid: PREP_TYPE_GUID });
      else
        partitions.push({
          label: `reserved-${n}`,
          sizeMiB: RESERVED_V1_SIZE_MIB,
          typeGuid: RESERVED_TYPE_GUID,
        });
      if (wantEfi) partitions.push({ label: `esp-${n}`, sizeMiB: ESP_V1_SIZE_MIB, typeGuid: ESP_TYPE_GUID });
      else
        partitions.push({
          label: `reserved-${n}`,
          sizeMiB: RESERVED_V1_SIZE_MIB,
          typeGuid: RESERVED_TYPE_GUID,
        });
      partitions.push({ label: `boot-${n}`, sizeMiB: BOOT_V1_SIZE_MIB }, { label: `root-${n}` });
      ts.absorb(["storage", "disks", disks.length], [...yamlMirror, "devices", i]);
      disks.push({ device, partitions, wipeTable: true });
      if (wantEfi) {
        ts.absorb(["storage", "filesystems", filesystems.length], [...yamlMirror, "devices", i]);
        filesystems.push({
          device: `/dev/disk/by-partlabel/esp-${n}`,
          format: "vfat",
          label: `esp-${n}`,
          wipeFilesystem: true,
        });
      }
    });
    ts.exact(["storage", "disks"], [...yamlMirror, "devices"]);
    const members = (prefix: string) => disks.map((_, i) => `/dev/disk/by-partlabel/${prefix}-${i + 1}`);
    // The boot RAID keeps its superblock at the end, so BIOS GRUB need not understand RAID.
    raid.push(
      { devices: members("boot"), level: "raid1", name: "md-boot", options: ["--metadata=1.0"] },
      { devices: members("root"), level: "raid1", name: "md-root" },
    );
    ts.absorb(["storage", "raid"], yamlMirror);
    ts.absorb(["storage", "filesystems", filesystems.length], yamlMirror);
    filesystems.push({ device: "/dev/md/md-boot", format: "ext4", label: "boot", wipeFilesystem: true });
  }

  if (wantLuks) {
    let device = wantMirror ? "/dev/md/md-root" : "/dev/disk/by-partlabel/root";
    // s390x DASD and zFCP disks: the root partition of the named device.
    if (layout === "s390x-eckd") device = `${String(luksSource.device ?? "")}2`;
    else if (layout === "s390x-zfcp") device = `${String(luksSource.device ?? "")}4`;
    const clevis: IgnObject = {};
    if (luksSource.tang !== undefined) clevis.tang = clone(luksSource.tang);
    if (luksSource.threshold !== undefined) clevis.threshold = luksSource.threshold as number;
    if (luksSource.tpm2 !== undefined) clevis.tpm2 = luksSource.tpm2 as boolean;
    const volume: IgnObject = { clevis, device, label: "luks-root", name: "root", wipeVolume: true };
    if (options.discard && luksSource.discard !== undefined) volume.discard = luksSource.discard as boolean;
    luks.push(volume);
    const yamlLuks: PathElement[] = ["boot_device", "luks"];
    const volumePath: PathElement[] = ["storage", "luks", 0];
    ts.prefix([...volumePath, "clevis"], yamlLuks);
    for (const f of ["device", "label", "name", "wipeVolume"]) ts.exact([...volumePath, f], yamlLuks);
    ts.exact(volumePath, yamlLuks);
    ts.exact(["storage", "luks"], yamlLuks);
    if (options.discard) ts.exact([...volumePath, "discard"], [...yamlLuks, "discard"]);
  }

  ts.absorb(["storage", "filesystems", filesystems.length], ["boot_device"]);
  ts.exact(["storage", "filesystems"], ["boot_device"]);
  filesystems.push({
    device: wantLuks ? "/dev/mapper/root" : "/dev/md/md-root",
    format: "xfs",
    label: "root",
    wipeFilesystem: true,
  });
  ts.exact(["storage"], ["boot_device"]);

  const storage: IgnObject = {};
  if (disks.length > 0) storage.disks = disks;
  storage.filesystems = filesystems;
  if (luks.length > 0) storage.luks = luks;
  if (raid.length > 0) storage.raid = raid;
  return { config: { storage }, translations: ts };
}

/** Reserved partition labels and the numbers they must have on a disk that is not wiped. */
const RESERVED_LABELS: Readonly<Record<string, number>> = {
  "BIOS-BOOT": 1,
  "PowerPC-PReP-boot": 1,
  "EFI-SYSTEM": 2,
  boot: 3,
  root: 4,
};
export const ERR_WRONG_PARTITION_NUMBER =
  "incorrect partition number; a new partition will be created using reserved label";

/** JSON paths of partitions that reuse a reserved label with another number. */
export function wrongPartitionNumbers(config: IgnObject): PathElement[][] {
  const found: PathElement[][] = [];
  const storage = (config.storage ?? {}) as IgnObject;
  const disks = Array.isArray(storage.disks) ? (storage.disks as IgnObject[]) : [];
  disks.forEach((disk, i) => {
    if (disk.wipeTable === true) return;
    const partitions = Array.isArray(disk.partitions) ? (disk.partitions as IgnObject[]) : [];
    partitions.forEach((part, j) => {
      if (typeof part.label !== "string") return;
      const want = RESERVED_LABELS[part.label];
      if (want !== undefined && Object.hasOwn(RESERVED_LABELS, part.label) && (part.number ?? 0) !== want)
        found.push(["storage", "disks", i, "partitions", j, "label"]);
    });
  });
  return found;
}
