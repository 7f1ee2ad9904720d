/**
 * The normalized view of an Ignition 3.x config that `decodeIgnition` produces: what Ignition
 * would write, with inline contents decoded to bytes and merged configs folded in. A field that
 * the config leaves unset is `undefined` (Ignition's own default then applies on the node), so
 * "unset → 0644" stays visible as a change.
 *
 * This view holds the config's secrets in clear (the k3s token in config.yaml, keys, hashes):
 * it is for `diffIgnition`, whose result is masked, and is never to be printed or serialized.
 */

/**
 * Which config an entry comes from: `main`, `merged config 2`, `merged config 2.1` (a config
 * merged by merged config 2), `replacement config`. The last config that set a field wins, as in
 * Ignition's merge, and names the entry's origin.
 */
export type IgnitionOrigin = string;

/** `user`/`group` of a file, directory or link: by id, by name, or both. */
export interface IgnitionOwner {
  readonly id?: number;
  readonly name?: string;
}

/** The contents of a file, or one of its `append` fragments. */
export type IgnitionContents =
  /** No `source`: Ignition creates an empty file (or keeps the existing one). */
  | { readonly kind: "none"; readonly hash?: string }
  /** A `data:` URL, decoded (and gunzipped when `compression: gzip`). */
  | { readonly kind: "inline"; readonly bytes: Uint8Array; readonly hash?: string }
  /** Fetched by Ignition at first boot (https, http, tftp, s3, gs, arn). */
  | {
      readonly kind: "remote";
      readonly url: string;
      readonly compression?: string;
      /** `verification.hash`, e.g. `sha256-…`. */
      readonly hash?: string;
      /** `httpHeaders` by name; values may be credentials and are never shown. */
      readonly httpHeaders: ReadonlyMap<string, string | undefined>;
    };

export interface IgnitionFile {
  readonly path: string;
  readonly origin: IgnitionOrigin;
  readonly mode?: number;
  readonly user?: IgnitionOwner;
  readonly group?: IgnitionOwner;
  readonly overwrite?: boolean;
  readonly contents: IgnitionContents;
  readonly append: readonly IgnitionContents[];
}

export interface IgnitionDirectory {
  readonly path: string;
  readonly origin: IgnitionOrigin;
  readonly mode?: number;
  readonly user?: IgnitionOwner;
  readonly group?: IgnitionOwner;
  readonly overwrite?: boolean;
}

export interface IgnitionLink {
  readonly path: string;
  readonly origin: IgnitionOrigin;
  readonly target?: string;
  readonly hard?: boolean;
  readonly user?: IgnitionOwner;
  readonly group?: IgnitionOwner;
  readonly overwrite?: boolean;
}

export interface IgnitionDropin {
  readonly name: string;
  readonly contents?: string;
}

export interface IgnitionUnit {
  readonly name: string;
  readonly origin: IgnitionOrigin;
  readonly enabled?: boolean;
  readonly mask?: boolean;
  readonly contents?: string;
  readonly dropins: ReadonlyMap<string, IgnitionDropin>;
}

export interface IgnitionUser {
  readonly name: string;
  readonly origin: IgnitionOrigin;
  /** In config order, without duplicates (Ignition merges key lists by value). */
  readonly sshAuthorizedKeys: readonly string[];
  readonly groups: readonly string[];
  readonly passwordHash?: string;
  readonly uid?: number;
  readonly gecos?: string;
  readonly homeDir?: string;
  readonly noCreateHome?: boolean;
  readonly primaryGroup?: string;
  readonly shell?: string;
  readonly system?: boolean;
  readonly noUserGroup?: boolean;
  readonly noLogInit?: boolean;
  readonly shouldExist?: boolean;
}

export interface IgnitionGroup {
  readonly name: string;
  readonly origin: IgnitionOrigin;
  readonly gid?: number;
  readonly passwordHash?: string;
  readonly system?: boolean;
  readonly shouldExist?: boolean;
}

/** A merge or replace config that Ignition fetches itself (not a `data:` URL, so not decoded here). */
export interface IgnitionConfigReference {
  /** `merge` or `replace`. */
  readonly kind: "merge" | "replace";
  readonly origin: IgnitionOrigin;
  readonly contents: IgnitionContents & { readonly kind: "remote" };
}

/**
 * A disk, filesystem, LUKS volume or RAID array, compared shallowly: each top-level field as
 * canonical JSON (sorted keys). `keyFile` of a LUKS volume is a secret and is kept only to
 * notice that it changed.
 */
export interface IgnitionStorageEntry {
  /** `disk /dev/vdb`, `filesystem /dev/disk/by-label/data`, `luks data`, `raid md0`. */
  readonly key: string;
  readonly origin: IgnitionOrigin;
  readonly fields: ReadonlyMap<string, string>;
}

export interface DecodedIgnition {
  /** `ignition.version` of the outermost config, e.g. `3.3.0`. */
  readonly version: string;
  readonly files: ReadonlyMap<string, IgnitionFile>;
  readonly directories: ReadonlyMap<string, IgnitionDirectory>;
  readonly links: ReadonlyMap<string, IgnitionLink>;
  readonly units: ReadonlyMap<string, IgnitionUnit>;
  readonly users: ReadonlyMap<string, IgnitionUser>;
  readonly groups: ReadonlyMap<string, IgnitionGroup>;
  readonly kernelArguments: {
    readonly shouldExist: readonly string[];
    readonly shouldNotExist: readonly string[];
  };
  /** Remote merge/replace configs, keyed by `merge <url>` / `replace <url>`. */
  readonly configReferences: ReadonlyMap<string, IgnitionConfigReference>;
  readonly storage: ReadonlyMap<string, IgnitionStorageEntry>;
  /** `ignition.timeouts`, `ignition.proxy`, `ignition.security` as canonical JSON, by name. */
  readonly settings: ReadonlyMap<string, string>;
}
