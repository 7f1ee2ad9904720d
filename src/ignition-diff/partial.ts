import type {
  IgnitionConfigReference,
  IgnitionGroup,
  IgnitionOrigin,
  IgnitionOwner,
  IgnitionStorageEntry,
  IgnitionUser,
} from "./decoded.js";

/**
 * One config as read, before merging and before its inline contents are decoded: the shape
 * Ignition's merge works on. Unset fields are absent, so a merged config overrides only what it
 * sets.
 */

/** A `Resource` (file contents, an `append` fragment, a merged config's source). */
export interface RawResource {
  readonly source?: string;
  readonly compression?: string;
  readonly hash?: string;
  /** By name; `undefined` is a header without value, which removes the parent's in a merge. */
  readonly httpHeaders: ReadonlyMap<string, string | undefined>;
  /** JSON path of the resource, for errors while decoding it. */
  readonly where: string;
}

interface NodeFields {
  readonly path: string;
  readonly origin: IgnitionOrigin;
  readonly user?: IgnitionOwner;
  readonly group?: IgnitionOwner;
  readonly overwrite?: boolean;
}

export interface RawFile extends NodeFields {
  readonly kind: "file";
  readonly mode?: number;
  readonly contents?: RawResource;
  readonly append: readonly RawResource[];
}

export interface RawDirectory extends NodeFields {
  readonly kind: "directory";
  readonly mode?: number;
}

export interface RawLink extends NodeFields {
  readonly kind: "link";
  readonly target?: string;
  readonly hard?: boolean;
}

/** Files, directories and links share one key space, the path (Ignition's `Node` dup group). */
export type RawNode = RawFile | RawDirectory | RawLink;

export interface RawUnit {
  readonly name: string;
  readonly origin: IgnitionOrigin;
  readonly enabled?: boolean;
  readonly mask?: boolean;
  readonly contents?: string;
  readonly dropins: ReadonlyMap<string, { readonly name: string; readonly contents?: string }>;
}

export interface RawConfig {
  readonly version: string;
  readonly nodes: ReadonlyMap<string, RawNode>;
  readonly units: ReadonlyMap<string, RawUnit>;
  readonly users: ReadonlyMap<string, IgnitionUser>;
  readonly groups: ReadonlyMap<string, IgnitionGroup>;
  /** Argument → whether it should exist; one key space for both lists, as in Ignition. */
  readonly kernelArguments: ReadonlyMap<string, boolean>;
  readonly storage: ReadonlyMap<string, IgnitionStorageEntry>;
  /** `timeouts.httpTotal`, `proxy.httpsProxy`, `security.tls`, … → canonical JSON. */
  readonly settings: ReadonlyMap<string, string>;
  readonly references: ReadonlyMap<string, IgnitionConfigReference>;
}
