import { type PathElement, Report } from "../../diagnostics.js";
import { makeDataUrl } from "../../encode/data-url.js";
import type { IgnObject, IgnValue } from "../../ignition/schema.js";
import type { IgnitionSpec } from "../../ignition/spec.js";
import { binaryBytesOf, type Decoded, type DecodedStruct } from "../../yaml/decode.js";
import { type LocalFileOptions, readLocalFile } from "../local-files.js";
import { mergeTranslatedConfigs } from "../merge.js";
import { mountUnit } from "../mount-units.js";
import { TranslationSet } from "../translation.js";
import { processTrees } from "../trees.js";

export interface TranslateOptions extends LocalFileOptions {
  /** The Ignition version produced: `ignition.version`, and the types merges run over. */
  readonly ignition: IgnitionSpec;
}

export interface TranslateResult {
  readonly config: IgnObject;
  readonly translations: TranslationSet;
  readonly report: Report;
}

/** Helpers to read decoded YAML without trusting its shape. */
export const get = {
  struct(v: Decoded | undefined): DecodedStruct {
    return v !== undefined && typeof v === "object" && !Array.isArray(v) ? v : {};
  },
  list(v: Decoded | undefined): Decoded[] | undefined {
    return Array.isArray(v) ? v : undefined;
  },
  str(v: Decoded | undefined): string | undefined {
    return typeof v === "string" ? v : undefined;
  },
};

/** Copies the keys that are set, renaming snake_case to the camelCase Ignition uses. */
function copy(from: DecodedStruct, renames: Record<string, string>, keys: readonly string[]): IgnObject {
  const to: IgnObject = {};
  for (const key of keys) {
    const value = from[key];
    if (value === undefined) continue;
    to[renames[key] ?? key] = clone(value);
  }
  return to;
}

function clone(value: Decoded): IgnValue {
  if (Array.isArray(value)) return value.map(clone);
  if (typeof value === "object") {
    const out: IgnObject = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[camel(k)] = clone(v);
    return out;
  }
  return value;
}

/** snake_case to camelCase as Butane's `Camel()` (`_mib` becomes `MiB`). */
export function camel(name: string): string {
  const base = name.endsWith("_mib") ? `${name.slice(0, -4)}MiB` : name;
  return base.replace(/_([a-zA-Z0-9])/g, (_, c: string) => c.toUpperCase()).replaceAll("_", "");
}

function nonEmpty(obj: IgnObject): IgnObject | undefined {
  return Object.keys(obj).length > 0 ? obj : undefined;
}

/**
 * Translation of the Butane base v0_4 schema to Ignition (base/v0_4/translate.go): field by
 * field copies, plus the Butane-only features (inline/local contents, trees, mount units).
 * Later schema versions subclass it and override the hooks for the fields they add.
 */
export class BaseTranslator {
  protected readonly report = new Report();
  protected translations = new TranslationSet();
  /** Base v0_4 and later write `.swap` units for swap filesystems; v0_3 a `.mount` unit. */
  protected readonly swapUnits: boolean = true;

  constructor(protected readonly options: TranslateOptions) {}

  translate(cfg: DecodedStruct): TranslateResult {
    const config: IgnObject = {};
    this.translations.prefix(["ignition", "version"], ["version"]);
    config.ignition = this.ignition(get.struct(cfg.ignition));
    const kargs = get.struct(cfg.kernel_arguments);
    const kernelArguments = nonEmpty(copy(kargs, {}, ["should_exist", "should_not_exist"]));
    if (kernelArguments) config.kernelArguments = clone(kargs) as IgnObject;
    const passwd = this.passwd(get.struct(cfg.passwd));
    if (passwd) config.passwd = passwd;
    const storage = this.storage(get.struct(cfg.storage));
    if (storage) config.storage = storage;
    const systemd = this.systemd(get.struct(cfg.systemd));
    if (systemd) config.systemd = systemd;
    const merged = this.addMountUnits(cfg, config);
    const trees = get.list(get.struct(cfg.storage).trees) ?? [];
    this.report.merge(processTrees(trees.map(get.struct), merged, this.options, this.translations));
    return { config: merged, translations: this.translations, report: this.report };
  }

  protected ignition(from: DecodedStruct): IgnObject {
    const to: IgnObject = {};
    const cfg = get.struct(from.config);
    const config: IgnObject = {};
    const merge = get.list(cfg.merge);
    if (merge)
      config.merge = merge.map((r, i) => this.resource(get.struct(r), ["ignition", "config", "merge", i]));
    if (cfg.replace !== undefined)
      config.replace = this.resource(get.struct(cfg.replace), ["ignition", "config", "replace"]);
    to.config = config;
    to.proxy = clone(get.struct(from.proxy)) as IgnObject;
    const tls = get.struct(get.struct(from.security).tls);
    const cas = get.list(tls.certificate_authorities);
    to.security = {
      tls: cas
        ? {
            certificateAuthorities: cas.map((r, i) =>
              this.resource(get.struct(r), ["ignition", "security", "tls", "certificate_authorities", i]),
            ),
          }
        : {},
    };
    to.timeouts = clone(get.struct(from.timeouts)) as IgnObject;
    to.version = this.options.ignition.version;
    return to;
  }

  /** A resource (contents, append, merge, CA, key file): `inline`/`local` become a data URL. */
  protected resource(from: DecodedStruct, yamlPath: readonly PathElement[]): IgnObject {
    const to: IgnObject = {};
    if (from.compression !== undefined) to.compression = from.compression as string;
    const headers = get.list(from.http_headers);
    if (headers) to.httpHeaders = headers.map((h) => clone(h));
    if (from.source !== undefined) to.source = from.source as string;
    to.verification = clone(get.struct(from.verification)) as IgnObject;
    const jsonPath = this.jsonPathOf(yamlPath);
    for (const field of ["local", "inline"] as const) {
      const value = get.str(from[field]);
      if (value === undefined) continue;
      let bytes: Uint8Array;
      if (field === "local") {
        const read = readLocalFile(value, this.options);
        if (!read.ok) {
          this.report.error([...yamlPath, "local"], read.error);
          return to;
        }
        bytes = read.bytes;
      } else {
        bytes = binaryBytesOf(from, field) ?? Buffer.from(value, "utf8");
      }
      const current = typeof to.compression === "string" ? to.compression : undefined;
      const data = makeDataUrl(bytes, current, true);
      to.source = data.url;
      this.translations.prefix([...jsonPath, "source"], [...yamlPath, field]);
      if (data.compression !== undefined) {
        to.compression = data.compression;
        this.translations.prefix([...jsonPath, "compression"], [...yamlPath, field]);
      }
    }
    return to;
  }

  /** The JSON path of a YAML path that maps one to one (snake_case to camelCase). */
  protected jsonPathOf(yamlPath: readonly PathElement[]): PathElement[] {
    return yamlPath.map((e) => (typeof e === "string" ? camel(e) : e));
  }

  protected passwd(from: DecodedStruct): IgnObject | undefined {
    const to: IgnObject = {};
    const groups = get.list(from.groups);
    if (groups) to.groups = groups.map((g) => clone(g));
    const users = get.list(from.users);
    if (users) to.users = users.map((u, i) => this.user(get.struct(u), i));
    return to;
  }

  protected user(from: DecodedStruct, _index: number): IgnObject {
    return clone(from) as IgnObject;
  }

  protected node(from: DecodedStruct): IgnObject {
    const to: IgnObject = {};
    if (from.group !== undefined) to.group = clone(from.group);
    if (from.overwrite !== undefined) to.overwrite = from.overwrite as boolean;
    to.path = get.str(from.path) ?? "";
    if (from.user !== undefined) to.user = clone(from.user);
    return to;
  }

  protected storage(from: DecodedStruct): IgnObject | undefined {
    const to: IgnObject = {};
    const dirs = get.list(from.directories);
    if (dirs) {
      to.directories = dirs.map((d) => {
        const dir = get.struct(d);
        const out = this.node(dir);
        if (dir.mode !== undefined) out.mode = dir.mode as number;
        return out;
      });
    }
    const disks = get.list(from.disks);
    if (disks) to.disks = disks.map((d) => clone(d));
    const files = get.list(from.files);
    if (files) to.files = files.map((f, i) => this.file(get.struct(f), i));
    const filesystems = get.list(from.filesystems);
    if (filesystems) {
      to.filesystems = filesystems.map((f) => {
        const fs = { ...get.struct(f) };
        delete fs.with_mount_unit;
        return clone(fs);
      });
    }
    const links = get.list(from.links);
    if (links) {
      to.links = links.map((l) => {
        const link = get.struct(l);
        const out = this.node(link);
        if (link.hard !== undefined) out.hard = link.hard as boolean;
        if (link.target !== undefined) out.target = link.target as string;
        return out;
      });
    }
    const luks = get.list(from.luks);
    if (luks) {
      to.luks = luks.map((l, i) => {
        const dev = get.struct(l);
        const out = clone({ ...dev, key_file: undefined }) as IgnObject;
        out.keyFile = this.resource(get.struct(dev.key_file), ["storage", "luks", i, "key_file"]);
        return out;
      });
    }
    const raid = get.list(from.raid);
    if (raid) to.raid = raid.map((r) => clone(r));
    return to;
  }

  protected file(from: DecodedStruct, index: number): IgnObject {
    const to = this.node(from);
    const append = get.list(from.append);
    if (append)
      to.append = append.map((r, j) =>
        this.resource(get.struct(r), ["storage", "files", index, "append", j]),
      );
    to.contents = this.resource(get.struct(from.contents), ["storage", "files", index, "contents"]);
    if (from.mode !== undefined) to.mode = from.mode as number;
    return to;
  }

  protected systemd(from: DecodedStruct): IgnObject | undefined {
    const units = get.list(from.units);
    if (!units) return {};
    return { units: units.map((u, i) => this.unit(get.struct(u), i)) };
  }

  protected unit(from: DecodedStruct, _index: number): IgnObject {
    return clone(from) as IgnObject;
  }

  /**
   * `with_mount_unit`: the generated units form a parent config that the user's config is
   * merged over (addMountUnits), so a user unit of the same name overrides their fields. The
   * reference merges whenever there are filesystems, even without a mount unit, and the merge
   * keeps only the translations of non-zero values: reports at empty fields then fall back to
   * their JSON path.
   */
  private addMountUnits(cfg: DecodedStruct, config: IgnObject): IgnObject {
    const storage = get.struct(cfg.storage);
    const filesystems = get.list(storage.filesystems) ?? [];
    if (filesystems.length === 0) return config;
    const units: IgnObject[] = [];
    const rendered = new TranslationSet(false);
    rendered.exact(["systemd"], ["storage", "filesystems"]);
    rendered.exact(["systemd", "units"], ["storage", "filesystems"]);
    for (const [i, f] of filesystems.entries()) {
      const fs = get.struct(f);
      if (fs.with_mount_unit !== true) continue;
      const device = get.str(fs.device) ?? "";
      const remote = this.isRemote(device, get.list(storage.luks) ?? []);
      const unit = mountUnit({
        device,
        format: get.str(fs.format) ?? "",
        path: get.str(fs.path),
        mountOptions: (get.list(fs.mount_options) ?? []).map(String),
        remote,
        swapUnits: this.swapUnits,
      });
      rendered.absorb(["systemd", "units", units.length], ["storage", "filesystems", i, "with_mount_unit"]);
      units.push({ contents: unit.contents, enabled: true, name: unit.name });
    }
    const parent: IgnObject = units.length > 0 ? { systemd: { units } } : {};
    return this.mergeUnder(parent, rendered, config);
  }

  /** Merges a generated config under the translated one, translations included. */
  protected mergeUnder(parent: IgnObject, parentTranslations: TranslationSet, config: IgnObject): IgnObject {
    const merged = mergeTranslatedConfigs(
      parent,
      parentTranslations,
      config,
      this.translations,
      this.options.ignition.type,
    );
    this.translations = merged.translations;
    return merged.config;
  }

  /** Tang-backed LUKS volumes need the network; flatcar has no clevis, so never there. */
  protected isRemote(device: string, luks: readonly Decoded[]): boolean {
    if (!device.startsWith("/dev/mapper/") && !device.startsWith("/dev/disk/by-id/dm-name-")) return false;
    for (const l of luks) {
      const dev = get.struct(l);
      const name = get.str(dev.name) ?? "";
      if (device !== `/dev/mapper/${name}` && device !== `/dev/disk/by-id/dm-name-${name}`) continue;
      const tang = get.list(get.struct(dev.clevis).tang) ?? [];
      if (tang.length > 0) return true;
    }
    return false;
  }
}
