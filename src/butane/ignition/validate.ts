import { type PathElement, Report } from "../diagnostics.js";
import type { IgnObject, IgnValue, JsonStruct, JsonType } from "./schema.js";
import { goQuote, parseUnitContents } from "./unit-contents.js";
import { urlScheme, validateUrl } from "./url.js";

/**
 * Ignition's own validation of a generated config (the `Validate` methods of
 * `config/v3_x/types`), run over the output in the same order as vcontext: each struct's
 * check, then its fields in Go declaration order. Messages are Ignition's, word for word.
 */
export interface IgnitionRules {
  /** URL schemes a resource source may use. */
  readonly schemes: ReadonlySet<string>;
  /** Spec 3.3 and older warn on setuid/setgid/sticky bits; 3.4 supports them. */
  readonly warnSpecialModeBits: boolean;
  /** Spec 3.3 and later: a link needs a target (3.2's target is a plain string). */
  readonly linkTargetRequired: boolean;
  /** Spec 3.3 and later: a raid without level is "required" (3.2 calls it unrecognized). */
  readonly raidLevelRequired: boolean;
  /** Filesystem formats Ignition accepts (3.3 added `none`). */
  readonly filesystemFormats: ReadonlySet<string>;
  /** Spec 3.2: `clevis` and `clevis.custom` are pointers, so presence is what counts. */
  readonly clevisPointers: boolean;
}

export const MSG = {
  duplicate: "duplicate entry defined",
  compressionInvalid: "invalid compression method",
  verificationNilSource: "source must be specified if verification is specified",
  sourceRequired: "source is required",
  invalidUrl: "unable to parse url",
  headersScheme: "cannot use HTTP headers with this source scheme",
  emptyHeaderName: "HTTP header name can't be empty",
  hashMalformed: "malformed hash specifier",
  hashWrongSize: "incorrect size for hash sum",
  hashUnrecognized: "unrecognized hash function",
  noPath: "path not specified",
  pathRelative: "path not absolute",
  dirtyPath: "path is not fully simplified",
  bothIdAndName: "cannot set both id and name",
  illegalMode: "illegal file mode",
  specialBits: "setuid/setgid/sticky bits are not supported in spec versions older than 3.4.0",
  overwriteNilSource: "overwrite must be false if source is unspecified",
  fileUsedSymlink: "file path includes link in config",
  dirUsedSymlink: "directory path includes link in config",
  linkUsedSymlink: "link path includes link in config",
  linkTargetRequired: "link target is required",
  hardLinkToDir: "hard link target is a directory",
  hardLinkOwner: "user/group ignored for hard link",
  pathConflictsSystemd: "path conflicts with systemd unit or dropin",
  diskDeviceRequired: "disk device is required",
  partitionNumbersCollide: "partition numbers collide",
  partitionsOverlap: "partitions overlap",
  zeroesWithShouldNotExist: "shouldExist is false for a partition and other partition(s) has start or size 0",
  duplicateLabels: "cannot use the same partition label twice",
  shouldNotExistWithOthers: "shouldExist specified false with other options also specified",
  needLabelOrNumber: "a partition number >= 1 or a label must be specified",
  labelTooLong: "partition labels may not exceed 36 characters",
  labelContainsColon: "partition label will be truncated to text before the colon",
  guid: 'doesn\'t match the form "01234567-89AB-CDEF-EDCB-A98765432101"',
  fsInvalidFormat: "invalid filesystem format",
  formatNilWithOthers:
    "format cannot be empty when path, label, uuid, wipeFilesystem, options, or mountOptions is specified",
  labelNeedsFormat: "filesystem must specify format if label is specified",
  luksNameSlash: "device names cannot contain slashes",
  luksLabelTooLong: "luks device labels cannot be longer than 47 characters",
  invalidLuksKeyFile: "invalid key-file source",
  raidLevelRequired: "raid level is required",
  sparesUnsupported: "spares unsupported for linear and raid0 arrays",
  unrecognizedRaidLevel: "unrecognized raid level",
  raidDevicesRequired: "raid devices required",
  invalidProxy: "proxies must be http(s)",
  insecureProxy: "insecure plaintext HTTP proxy specified for HTTPS resources",
  systemdExt: "invalid systemd unit extension",
  partitionsOverwritten: "filesystem overwrites partitioned device",
  filesystemImplicitWipe: "device matches disk with wipeTable enabled; filesystem will be wiped",
  clevisPinRequired: "missing required custom clevis pin",
  unknownClevisPin: "unsupported clevis pin",
  clevisConfigRequired: "missing required custom clevis config",
  clevisCustomWithOthers: "cannot use custom clevis config with tpm2, tang, or threshold",
  tangThumbprintRequired: "thumbprint is required",
  invalidTangAdvertisement: "advertisement is not valid JSON",
  invalidScheme: "invalid url scheme",
  dropinExt: "invalid systemd drop-in extension",
} as const;

const LABEL_LIMITS: Record<string, [number, string]> = {
  ext4: [16, "filesystem labels cannot be longer than 16 characters when using ext4"],
  btrfs: [256, "filesystem labels cannot be longer than 256 characters when using btrfs"],
  xfs: [12, "filesystem labels cannot be longer than 12 characters when using xfs"],
  swap: [15, "filesystem labels cannot be longer than 15 characters when using swap"],
  vfat: [11, "filesystem labels cannot be longer than 11 characters when using vfat"],
};
const UNIT_EXTENSIONS = new Set([
  ".service",
  ".socket",
  ".device",
  ".mount",
  ".automount",
  ".swap",
  ".target",
  ".path",
  ".timer",
  ".snapshot",
  ".slice",
  ".scope",
]);
const CLEVIS_PINS = new Set(["tpm2", "tang", "sss"]);

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

const GUID = /^(|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$/;

const str = (v: IgnValue): string | undefined => (typeof v === "string" ? v : undefined);
const num = (v: IgnValue): number | undefined => (typeof v === "number" ? v : undefined);
const obj = (v: IgnValue): IgnObject =>
  v !== undefined && typeof v === "object" && !Array.isArray(v) ? v : {};
const arr = (v: IgnValue): IgnObject[] => (Array.isArray(v) ? (v as IgnObject[]) : []);
const nilOrEmpty = (v: IgnValue): boolean => v === undefined || v === "";

/** Go's path.Clean. */
export function cleanPath(p: string): string {
  if (p === "") return ".";
  const rooted = p.startsWith("/");
  const out: string[] = [];
  for (const part of p.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (out.length > 0 && out[out.length - 1] !== "..") out.pop();
      else if (!rooted) out.push("..");
    } else out.push(part);
  }
  const joined = out.join("/");
  return rooted ? `/${joined}` : joined || ".";
}

function validatePath(p: string): string | undefined {
  if (p === "") return MSG.noPath;
  if (!p.startsWith("/")) return MSG.pathRelative;
  if (cleanPath(p) !== p) return MSG.dirtyPath;
  return undefined;
}

/** go's path.Ext: the suffix from the last dot in the final element. */
function pathExt(p: string): string {
  for (let i = p.length - 1; i >= 0 && p[i] !== "/"; i--) if (p[i] === ".") return p.slice(i);
  return "";
}

class Checker {
  readonly report = new Report();
  constructor(private readonly rules: IgnitionRules) {}

  error(path: readonly PathElement[], message: string | undefined): void {
    if (message) this.report.error(path, message, "json");
  }
  warn(path: readonly PathElement[], message: string | undefined): void {
    if (message) this.report.warn(path, message, "json");
  }

  urlError(source: string): string | undefined {
    return validateUrl(source, this.rules.schemes);
  }

  requiredSource(res: IgnObject): string | undefined {
    const source = str(res.source);
    if (source === undefined || source === "") return MSG.sourceRequired;
    return this.urlError(source);
  }

  mode(path: readonly PathElement[], mode: IgnValue): void {
    const m = num(mode);
    if (m === undefined) return;
    if (m < 0 || m > 0o7777) this.error([...path, "mode"], MSG.illegalMode);
    if (this.rules.warnSpecialModeBits && (m & 0o7000) !== 0) this.warn([...path, "mode"], MSG.specialBits);
  }

  node(path: readonly PathElement[], node: IgnObject): void {
    this.error([...path, "path"], validatePath(str(node.path) ?? ""));
  }

  readonly checks: Record<string, (v: IgnObject, path: readonly PathElement[]) => void> = {
    Config: (cfg, path) => {
      const unitPaths = new Set<string>();
      for (const unit of arr(obj(cfg.systemd).units)) {
        const name = str(unit.name) ?? "";
        if (!nilOrEmpty(unit.contents)) unitPaths.add(`/etc/systemd/system/${name}`);
        for (const dropin of arr(unit.dropins)) {
          if (!nilOrEmpty(dropin.contents))
            unitPaths.add(`/etc/systemd/system/${name}.d/${str(dropin.name) ?? ""}`);
        }
      }
      const storage = obj(cfg.storage);
      for (const kind of ["files", "directories", "links"]) {
        arr(storage[kind]).forEach((n, i) => {
          if (unitPaths.has(str(n.path) ?? ""))
            this.error([...path, "storage", kind, i, "path"], MSG.pathConflictsSystemd);
        });
      }
    },
    IgnitionConfig: (ic, path) => {
      // Only merged configs need a source; `replace` is checked as a plain resource.
      for (const [i, res] of arr(ic.merge).entries())
        this.error([...path, "merge", i], this.requiredSource(res));
    },
    Proxy: (proxy, path) => {
      const check = (key: string, httpsOk: boolean) => {
        const value = str(proxy[key]);
        if (value === undefined) return;
        const scheme = urlScheme(value);
        if (scheme === undefined) this.error([...path, key], MSG.invalidUrl);
        else if (scheme !== "http" && scheme !== "https") this.error([...path, key], MSG.invalidProxy);
        else if (scheme === "http" && !httpsOk) this.warn([...path, key], MSG.insecureProxy);
      };
      check("httpProxy", true);
      check("httpsProxy", false);
    },
    TLS: (tls, path) => {
      for (const [i, res] of arr(tls.certificateAuthorities).entries())
        this.error([...path, "certificateAuthorities", i], this.requiredSource(res));
    },
    Resource: (res, path) => {
      const compression = str(res.compression);
      if (compression !== undefined && compression !== "" && compression !== "gzip")
        this.error([...path, "compression"], MSG.compressionInvalid);
      const source = str(res.source);
      if (obj(res.verification).hash !== undefined && source === undefined)
        this.error([...path, "verification", "hash"], MSG.verificationNilSource);
      if (source !== undefined && source !== "") this.error([...path, "source"], this.urlError(source));
      if (arr(res.httpHeaders).length > 0) {
        const scheme = source === undefined ? undefined : urlScheme(source);
        if (scheme === undefined) this.error([...path, "httpHeaders"], MSG.invalidUrl);
        else if (scheme !== "http" && scheme !== "https")
          this.error([...path, "httpHeaders"], MSG.headersScheme);
      }
    },
    HTTPHeader: (h, path) => {
      if ((str(h.name) ?? "") === "") this.error([...path, "name"], MSG.emptyHeaderName);
    },
    Verification: (v, path) => {
      const hash = str(v.hash);
      if (hash === undefined) return;
      const dash = hash.indexOf("-");
      if (dash < 0) {
        this.error([...path, "hash"], MSG.hashMalformed);
        return;
      }
      const fn = hash.slice(0, dash);
      const sum = hash.slice(dash + 1);
      const size = fn === "sha512" ? 128 : fn === "sha256" ? 64 : 0;
      if (size === 0) {
        this.error([...path, "hash"], MSG.hashUnrecognized);
        return;
      }
      if (sum.length !== size) this.error([...path, "hash"], MSG.hashWrongSize);
    },
    NodeUser: (owner, path) => this.owner(owner, path),
    NodeGroup: (owner, path) => this.owner(owner, path),
    File: (file, path) => {
      this.node(path, file);
      this.mode(path, file.mode);
      if (file.overwrite === true && obj(file.contents).source === undefined)
        this.error([...path, "overwrite"], MSG.overwriteNilSource);
    },
    Directory: (dir, path) => {
      this.node(path, dir);
      this.mode(path, dir.mode);
    },
    Link: (link, path) => this.node(path, link),
    Storage: (storage, path) => this.storage(storage, path),
    Disk: (disk, path) => this.disk(disk, path),
    Partition: (part, path) => {
      if (
        part.shouldExist === false &&
        (part.label !== undefined ||
          !nilOrEmpty(part.typeGuid) ||
          !nilOrEmpty(part.guid) ||
          part.startMiB !== undefined ||
          part.sizeMiB !== undefined)
      )
        this.error(path, MSG.shouldNotExistWithOthers);
      if ((num(part.number) ?? 0) === 0 && part.label === undefined) this.error(path, MSG.needLabelOrNumber);
      const label = str(part.label);
      if (label !== undefined) {
        if (utf16Length(label) > 36) this.error([...path, "label"], MSG.labelTooLong);
        else if (label.includes(":")) this.error([...path, "label"], MSG.labelContainsColon);
      }
      for (const key of ["guid", "typeGuid"]) {
        const guid = str(part[key]);
        if (guid !== undefined && !GUID.test(guid)) this.error([...path, key], MSG.guid);
      }
    },
    Filesystem: (fs, path) => {
      const fsPath = str(fs.path);
      if (fsPath !== undefined && fsPath !== "") this.error([...path, "path"], validatePath(fsPath));
      this.error([...path, "device"], validatePath(str(fs.device) ?? ""));
      const format = str(fs.format);
      if (format === undefined || format === "") {
        if (
          !nilOrEmpty(fs.path) ||
          !nilOrEmpty(fs.label) ||
          !nilOrEmpty(fs.uuid) ||
          fs.wipeFilesystem === true ||
          arr(fs.mountOptions).length > 0 ||
          arr(fs.options).length > 0
        )
          this.error([...path, "format"], MSG.formatNilWithOthers);
      } else if (!this.rules.filesystemFormats.has(format)) {
        this.error([...path, "format"], MSG.fsInvalidFormat);
      }
      const label = str(fs.label);
      if (label !== undefined && label !== "") {
        if (format === undefined || format === "") this.error([...path, "label"], MSG.labelNeedsFormat);
        else {
          const limit = LABEL_LIMITS[format];
          if (limit && label.length > limit[0]) this.error([...path, "label"], limit[1]);
        }
      }
    },
    Luks: (luks, path) => {
      if ((str(luks.name) ?? "").includes("/")) this.error([...path, "name"], MSG.luksNameSlash);
      const label = str(luks.label);
      if (label !== undefined && label.length > 47) this.error([...path, "label"], MSG.luksLabelTooLong);
      const device = str(luks.device);
      if (device === undefined || device === "") this.error([...path, "device"], MSG.diskDeviceRequired);
      else this.error([...path, "device"], validatePath(device));
      const clevis = luks.clevis;
      const custom = obj(clevis).custom;
      const c = obj(clevis);
      const others =
        arr(c.tang).length > 0 || c.tpm2 === true || (num(c.threshold) !== undefined && c.threshold !== 0);
      const hasCustom = this.rules.clevisPointers
        ? clevis !== undefined && custom !== undefined
        : !nilOrEmpty(obj(custom).pin);
      if (hasCustom && others) this.error([...path, "clevis"], MSG.clevisCustomWithOthers);
      const keySource = str(obj(luks.keyFile).source);
      if (keySource !== undefined && this.urlError(keySource))
        this.error([...path, "keys"], MSG.invalidLuksKeyFile);
    },
    Raid: (raid, path) => {
      const level = str(raid.level) ?? "";
      const spares = num(raid.spares);
      if (this.rules.raidLevelRequired && level === "") this.error([...path, "level"], MSG.raidLevelRequired);
      else if (["linear", "raid0", "0", "stripe"].includes(level)) {
        if (spares !== undefined && spares !== 0) this.error([...path, "level"], MSG.sparesUnsupported);
      } else if (
        !["raid1", "1", "mirror", "raid4", "4", "raid5", "5", "raid6", "6", "raid10", "10"].includes(level)
      ) {
        this.error([...path, "level"], MSG.unrecognizedRaidLevel);
      }
      const devices = Array.isArray(raid.devices) ? (raid.devices as string[]) : [];
      if (devices.length === 0) this.error([...path, "devices"], MSG.raidDevicesRequired);
      for (const [i, d] of devices.entries()) this.error([...path, "devices", i], validatePath(String(d)));
    },
    ClevisCustom: (custom, path) => {
      const pin = str(custom.pin);
      if (nilOrEmpty(custom.pin) && nilOrEmpty(custom.config) && custom.needsNetwork !== true) return;
      if (pin !== undefined && pin !== "") {
        if (!CLEVIS_PINS.has(pin)) this.error([...path, "pin"], MSG.unknownClevisPin);
      } else this.error([...path, "pin"], MSG.clevisPinRequired);
      if (nilOrEmpty(custom.config)) this.error([...path, "config"], MSG.clevisConfigRequired);
    },
    // Spec 3.2's `Custom`: plain strings, and an empty pin is simply an unknown one.
    Custom: (custom, path) => {
      const pin = str(custom.pin) ?? "";
      const config = str(custom.config) ?? "";
      if (pin === "" && config === "") return;
      if (!CLEVIS_PINS.has(pin)) this.error([...path, "pin"], MSG.unknownClevisPin);
      if (config === "") this.error([...path, "config"], MSG.clevisConfigRequired);
    },
    Tang: (tang, path) => {
      const scheme = urlScheme(str(tang.url) ?? "");
      if (scheme === undefined) this.error([...path, "url"], MSG.invalidUrl);
      else if (scheme !== "http" && scheme !== "https") this.error([...path, "url"], MSG.invalidScheme);
      if (nilOrEmpty(tang.thumbprint)) this.error([...path, "thumbprint"], MSG.tangThumbprintRequired);
      const advertisement = str(tang.advertisement);
      if (advertisement !== undefined && advertisement !== "" && !isJson(advertisement))
        this.error([...path, "advertisement"], MSG.invalidTangAdvertisement);
    },
    Unit: (unit, path) => {
      const name = str(unit.name) ?? "";
      if (!UNIT_EXTENSIONS.has(pathExt(name))) this.error([...path, "name"], MSG.systemdExt);
      const contents = str(unit.contents);
      const parsed = contents === undefined ? { options: [] } : parseUnitContents(contents);
      if ("error" in parsed) {
        this.error([...path, "contents"], parsed.error);
        return;
      }
      if (unit.enabled === true && contents !== undefined && contents !== "")
        if (!parsed.options.some((o) => o.section === "Install"))
          this.warn(
            [...path, "contents"],
            `unit ${goQuote(name)} is enabled, but has no install section so enable does nothing`,
          );
    },
    Dropin: (dropin, path) => {
      const contents = str(dropin.contents);
      const parsed = contents === undefined ? undefined : parseUnitContents(contents);
      if (parsed && "error" in parsed) this.error([...path, "contents"], parsed.error);
      if (pathExt(str(dropin.name) ?? "") !== ".conf") this.error([...path, "name"], MSG.dropinExt);
    },
  };

  private owner(owner: IgnObject, path: readonly PathElement[]): void {
    if (owner.id !== undefined && (str(owner.name) ?? "") !== "") this.error(path, MSG.bothIdAndName);
  }

  private storage(storage: IgnObject, path: readonly PathElement[]): void {
    const links = arr(storage.links);
    const under = (p: IgnValue, l: IgnObject) => (str(p) ?? "").startsWith(`${str(l.path) ?? ""}/`);
    arr(storage.directories).forEach((d, i) => {
      for (const l of links)
        if (under(d.path, l)) this.error([...path, "directories", i], MSG.dirUsedSymlink);
    });
    arr(storage.files).forEach((f, i) => {
      for (const l of links) if (under(f.path, l)) this.error([...path, "files", i], MSG.fileUsedSymlink);
    });
    links.forEach((l1, i) => {
      for (const l2 of links) if (under(l1.path, l2)) this.error([...path, "links", i], MSG.linkUsedSymlink);
      const target = str(l1.target) ?? "";
      if (this.rules.linkTargetRequired && target === "") {
        this.error([...path, "links", i, "target"], MSG.linkTargetRequired);
        return;
      }
      if (l1.hard !== true) return;
      let resolved = cleanPath(target);
      if (!resolved.startsWith("/")) resolved = cleanPath(`${str(l1.path) ?? ""}/${target}`);
      for (const d of arr(storage.directories))
        if (resolved === str(d.path)) this.error([...path, "links", i], MSG.hardLinkToDir);
      const user = obj(l1.user);
      const group = obj(l1.group);
      if (user.id !== undefined) this.warn([...path, "links", i, "user", "id"], MSG.hardLinkOwner);
      if (user.name !== undefined) this.warn([...path, "links", i, "user", "name"], MSG.hardLinkOwner);
      if (group.id !== undefined) this.warn([...path, "links", i, "group", "id"], MSG.hardLinkOwner);
      if (group.name !== undefined) this.warn([...path, "links", i, "group", "name"], MSG.hardLinkOwner);
    });
    const disks = new Map<string, IgnObject>();
    for (const d of arr(storage.disks)) disks.set(str(d.device) ?? "", d);
    arr(storage.filesystems).forEach((fs, i) => {
      const disk = disks.get(str(fs.device) ?? "");
      if (!disk) return;
      if (arr(disk.partitions).length > 0)
        this.warn([...path, "filesystems", i, "device"], MSG.partitionsOverwritten);
      else if (fs.wipeFilesystem !== true && disk.wipeTable === true)
        this.warn([...path, "filesystems", i, "device"], MSG.filesystemImplicitWipe);
    });
  }

  private disk(disk: IgnObject, path: readonly PathElement[]): void {
    const device = str(disk.device) ?? "";
    if (device === "") {
      this.error([...path, "device"], MSG.diskDeviceRequired);
      return;
    }
    this.error([...path, "device"], validatePath(device));
    const parts = arr(disk.partitions);
    const numberOf = (p: IgnObject): number => num(p.number) ?? 0;
    // partitionNumbersCollide: the second index of a repeated number.
    const byNumber = new Map<number, number[]>();
    parts.forEach((p, i) => {
      const n = numberOf(p);
      if (n !== 0) byNumber.set(n, [...(byNumber.get(n) ?? []), i]);
    });
    const collision = [...byNumber.values()].find((indexes) => indexes.length > 1);
    if (collision) this.error([...path, "partitions", collision[1] as number], MSG.partitionNumbersCollide);
    const overlap = partitionsOverlap(parts);
    if (overlap !== undefined) this.error([...path, "partitions", overlap], MSG.partitionsOverlap);
    const absent = parts.some((p) => p.shouldExist === false);
    if (absent && parts.some((p) => numberOf(p) === 0))
      this.error([...path, "partitions"], MSG.zeroesWithShouldNotExist);
    const labels = new Set<string>();
    for (const [i, part] of parts.entries()) {
      const label = str(part.label);
      if (label === undefined) continue;
      if (labels.has(label)) {
        this.error([...path, "partitions", i], MSG.duplicateLabels);
        break;
      }
      labels.add(label);
    }
  }
}

function utf16Length(s: string): number {
  return s.length;
}

/**
 * Ignition's partitionsOverlap: for each partition with a known non-zero start and a size, the
 * index of the first other such partition it touches (a size of 0 ends at the start).
 */
function partitionsOverlap(parts: readonly IgnObject[]): number | undefined {
  const end = (start: number, size: number) => (size === 0 ? start : start + size - 1);
  for (const [pi, p] of parts.entries()) {
    const pStart = num(p.startMiB);
    const pSize = num(p.sizeMiB);
    if (pStart === undefined || pSize === undefined || pStart === 0) continue;
    const pEnd = end(pStart, pSize);
    for (const [oi, o] of parts.entries()) {
      const oStart = num(o.startMiB);
      const oSize = num(o.sizeMiB);
      if (oi === pi || oStart === undefined || oSize === undefined || oStart === 0) continue;
      const oEnd = end(oStart, oSize);
      if (pStart >= oStart && pStart <= oEnd) return oi;
      if (pEnd >= oStart && pEnd <= oEnd) return oi;
      if (pStart < oStart && pEnd > oEnd) return oi;
    }
  }
  return undefined;
}

function walk(
  type: JsonType,
  value: IgnValue,
  path: PathElement[],
  visit: (t: JsonStruct, v: IgnObject, p: PathElement[]) => void,
): void {
  if (type.kind === "struct") {
    // Absent structs are zero values, on which no check reports anything.
    if (value === undefined && path.length > 0) return;
    const v = obj(value);
    visit(type, v, path);
    for (const f of type.fields) walk(f.type, v[f.name], [...path, f.name], visit);
  } else if (type.kind === "list" && Array.isArray(value)) {
    for (const [i, item] of value.entries()) walk(type.of, item, [...path, i], visit);
  }
}

/** Runs Ignition's validation on a generated config; paths in the report are JSON paths. */
export function validateIgnition(config: IgnObject, type: JsonStruct, rules: IgnitionRules): Report {
  const checker = new Checker(rules);
  walk(type, config, [], (t, v, p) => checker.checks[t.name]?.(v, p));
  return checker.report;
}

/** Ignition's ValidateDups: entries of a list (or lists sharing a key space) must have distinct keys. */
export function validateDuplicates(config: IgnObject, type: JsonStruct): Report {
  const report = new Report();
  walk(type, config, [], (t, v, path) => {
    const groups = new Map<string, Set<string>>();
    for (const f of t.fields) {
      if (f.type.kind !== "list" || f.ignoreDups) continue;
      const group = f.dupGroup ?? f.name;
      let seen = groups.get(group);
      if (!seen) {
        seen = new Set();
        groups.set(group, seen);
      }
      const of = f.type.of;
      arr(v[f.name]).forEach((item, i) => {
        const key = of.kind === "struct" ? (of.key?.(item) ?? "") : String(item as unknown as string);
        if (seen.has(key)) report.error([...path, f.name, i], MSG.duplicate, "json");
        seen.add(key);
      });
    }
  });
  return report;
}
