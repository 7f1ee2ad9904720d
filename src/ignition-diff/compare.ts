import { createHash } from "node:crypto";
import { changedKeys, compareText } from "./changed-keys.js";
import type { DecodedIgnition, IgnitionContents, IgnitionOwner, IgnitionUser } from "./decoded.js";
import type {
  BlobInfo,
  CategoryDiff,
  ContentChange,
  ContentStatus,
  EntryChange,
  FieldChange,
  IgnitionDiff,
  ListChange,
} from "./diff.js";
import {
  isWholeFileSecret,
  maskedLines,
  SECRET_MASK,
  SecretList,
  type SecretRange,
  secretRanges,
  secretValues,
} from "./mask.js";
import { sshKeyLabel } from "./ssh-key.js";
import { DIFF_CONTEXT_LINES, unifiedDiff } from "./text-diff.js";

export interface IgnitionDiffOptions {
  /**
   * Secret strings to mask wherever they appear, in any form the output could carry them
   * (the k3s token, node passwords, private keys). Rules for well-known secret files apply
   * without this list; the list catches the rest.
   */
  readonly secrets?: readonly string[];
  /** Unchanged lines shown around each change; default 3. */
  readonly context?: number;
}

/**
 * What differs between the config a node runs (`before`) and the one rendered now (`after`),
 * per category, sorted by path or name. Secrets are masked in every string of the result.
 */
export function diffIgnition(
  before: DecodedIgnition,
  after: DecodedIgnition,
  options: IgnitionDiffOptions = {},
): IgnitionDiff {
  const secrets = new SecretList(options.secrets ?? []);
  const fields = new FieldComparer(secrets);
  const context: Context = { secrets, fields, lines: options.context ?? DIFF_CONTEXT_LINES };
  const diff: IgnitionDiff = {
    files: compareMaps(before.files, after.files, (key, a, b) => {
      const metadata = [
        ...fields.origin(a?.origin, b?.origin),
        ...fields.mode(a?.mode, b?.mode),
        ...fields.owner("user", a?.user, b?.user),
        ...fields.owner("group", a?.group, b?.group),
        ...fields.value("overwrite", a?.overwrite, b?.overwrite),
      ];
      const parts = [compareContents(context, key, "contents", a?.contents, b?.contents)];
      const appends = Math.max(a?.append.length ?? 0, b?.append.length ?? 0);
      for (let i = 0; i < appends; i++) {
        parts.push(compareContents(context, key, `append ${i + 1}`, a?.append[i], b?.append[i]));
      }
      return {
        fields: [...metadata, ...parts.flatMap((part) => part.fields)],
        lists: parts.flatMap((part) => part.lists),
        contents: parts.flatMap((part) => part.contents),
      };
    }),
    directories: compareMaps(before.directories, after.directories, (_key, a, b) => ({
      fields: [
        ...fields.origin(a?.origin, b?.origin),
        ...fields.mode(a?.mode, b?.mode),
        ...fields.owner("user", a?.user, b?.user),
        ...fields.owner("group", a?.group, b?.group),
        ...fields.value("overwrite", a?.overwrite, b?.overwrite),
      ],
    })),
    links: compareMaps(before.links, after.links, (_key, a, b) => ({
      fields: [
        ...fields.origin(a?.origin, b?.origin),
        ...fields.value("target", a?.target, b?.target),
        ...fields.value("hard", a?.hard, b?.hard),
        ...fields.owner("user", a?.user, b?.user),
        ...fields.owner("group", a?.group, b?.group),
        ...fields.value("overwrite", a?.overwrite, b?.overwrite),
      ],
    })),
    units: compareMaps(before.units, after.units, (key, a, b) => {
      const unitPath = `/etc/systemd/system/${key}`;
      const contents: ContentChange[] = [];
      const unitText = compareUnitText(context, unitPath, "unit", a?.contents, b?.contents);
      if (unitText) contents.push(unitText);
      const dropins = new Set([...(a?.dropins.keys() ?? []), ...(b?.dropins.keys() ?? [])]);
      for (const name of [...dropins].sort(compareText)) {
        const x = a?.dropins.get(name);
        const y = b?.dropins.get(name);
        const change = compareUnitText(
          context,
          `${unitPath}.d/${name}`,
          `drop-in ${name}`,
          x?.contents,
          y?.contents,
        );
        if (change) contents.push(change);
      }
      return {
        fields: [
          ...fields.origin(a?.origin, b?.origin),
          ...fields.value("enabled", a?.enabled, b?.enabled),
          ...fields.value("mask", a?.mask, b?.mask),
        ],
        contents,
      };
    }),
    users: compareMaps(before.users, after.users, (_key, a, b) => ({
      fields: [...fields.origin(a?.origin, b?.origin), ...userFields(fields, a, b)],
      lists: [
        fields.list("ssh key", a?.sshAuthorizedKeys ?? [], b?.sshAuthorizedKeys ?? [], sshKeyLabel),
        fields.list("group", a?.groups ?? [], b?.groups ?? []),
      ].filter((change) => change !== undefined),
    })),
    groups: compareMaps(before.groups, after.groups, (_key, a, b) => ({
      fields: [
        ...fields.origin(a?.origin, b?.origin),
        ...fields.value("gid", a?.gid, b?.gid),
        ...fields.secret("password hash", a?.passwordHash, b?.passwordHash),
        ...fields.value("system", a?.system, b?.system),
        ...fields.value("should exist", a?.shouldExist, b?.shouldExist),
      ],
    })),
    kernelArguments: compareMaps(kernelArgumentMap(before), kernelArgumentMap(after), (_key, a, b) => ({
      fields: fields.value("state", a, b),
    })),
    storage: compareMaps(before.storage, after.storage, (_key, a, b) => {
      const names = new Set([...(a?.fields.keys() ?? []), ...(b?.fields.keys() ?? [])]);
      return {
        fields: [
          ...fields.origin(a?.origin, b?.origin),
          ...[...names]
            .sort(compareText)
            .flatMap((name) =>
              name === "keyFile"
                ? fields.secret("key file", a?.fields.get(name), b?.fields.get(name))
                : fields.masked(name, a?.fields.get(name), b?.fields.get(name)),
            ),
        ],
      };
    }),
    configs: compareMaps(before.configReferences, after.configReferences, (key, a, b) => {
      const part = compareContents(context, key, "contents", a?.contents, b?.contents);
      return { fields: [...fields.origin(a?.origin, b?.origin), ...part.fields], lists: part.lists };
    }),
    settings: compareMaps(settingsMap(before), settingsMap(after), (_key, a, b) => ({
      fields: fields.masked("value", a, b),
    })),
  };
  return secrets.isEmpty ? diff : scrubDeep(diff, secrets);
}

interface Context {
  readonly secrets: SecretList;
  readonly fields: FieldComparer;
  readonly lines: number;
}

interface EntryParts {
  readonly fields?: readonly FieldChange[];
  readonly lists?: readonly ListChange[];
  readonly contents?: readonly ContentChange[];
}

type Origin = { readonly origin: string };

function compareMaps<V extends Origin | string | boolean>(
  before: ReadonlyMap<string, V>,
  after: ReadonlyMap<string, V>,
  compare: (key: string, before: V | undefined, after: V | undefined) => EntryParts,
): CategoryDiff {
  const added: EntryChange[] = [];
  const removed: EntryChange[] = [];
  const changed: EntryChange[] = [];
  const keys = new Set([...before.keys(), ...after.keys()]);
  for (const key of [...keys].sort(compareText)) {
    const a = before.get(key);
    const b = after.get(key);
    const parts = compare(key, a, b);
    const entry: EntryChange = {
      key,
      origin: originOf(b ?? a),
      fields: parts.fields ?? [],
      lists: parts.lists ?? [],
      contents: parts.contents ?? [],
    };
    if (a === undefined) added.push(entry);
    else if (b === undefined) removed.push(entry);
    else if (entry.fields.length + entry.lists.length + entry.contents.length > 0) changed.push(entry);
  }
  return { added, removed, changed };
}

function originOf(value: Origin | string | boolean | undefined): string {
  return typeof value === "object" ? value.origin : "main";
}

type Shown = string | number | boolean | undefined;

/**
 * Field comparisons: on the real values, shown with the caller's secrets masked *first*, so that
 * no later step (URL credential masking, key labels) can cut a secret into pieces the final scrub
 * would miss. A difference that only masking hides is shown as a changed secret.
 */
class FieldComparer {
  constructor(private readonly secrets: SecretList) {}

  show(value: Shown): string | undefined {
    return value === undefined ? undefined : this.secrets.scrub(String(value));
  }

  value(
    field: string,
    a: Shown,
    b: Shown,
    transform: (text: string) => string = (text) => text,
  ): FieldChange[] {
    if (a === b) return [];
    const shown = (value: Shown) => {
      const text = this.show(value);
      return text === undefined ? undefined : transform(text);
    };
    const before = shown(a);
    const after = shown(b);
    return [
      { field, ...definedDisplay(before, after), ...(before === after ? { secret: true as const } : {}) },
    ];
  }

  /** A value that may hold URL credentials (sources, proxies, storage JSON). */
  masked(field: string, a: string | undefined, b: string | undefined): FieldChange[] {
    return this.value(field, a, b, maskUrlCredentials);
  }

  /** Origins are compared only when both sides exist: an added entry's origin is its `origin`. */
  origin(a: string | undefined, b: string | undefined): FieldChange[] {
    return a === undefined || b === undefined ? [] : this.value("origin", a, b);
  }

  mode(a: number | undefined, b: number | undefined): FieldChange[] {
    return this.value("mode", octal(a), octal(b));
  }

  owner(field: string, a: IgnitionOwner | undefined, b: IgnitionOwner | undefined): FieldChange[] {
    return this.value(field, ownerText(a), ownerText(b));
  }

  /** A secret field: only whether it is set, and that it changed. */
  secret(field: string, a: string | undefined, b: string | undefined): FieldChange[] {
    if (a === b) return [];
    const mask = (value: string | undefined) => (value === undefined ? undefined : SECRET_MASK);
    return [{ field, ...definedDisplay(mask(a), mask(b)), secret: true }];
  }

  /** Values added to and removed from a list, compared as they are, labelled once masked. */
  list(
    field: string,
    a: readonly string[],
    b: readonly string[],
    label: (value: string) => string = (value) => value,
  ): ListChange | undefined {
    const before = new Set(a);
    const after = new Set(b);
    const shown = (value: string) => label(this.secrets.scrub(value));
    const added = b.filter((value) => !before.has(value)).map(shown);
    const removed = a.filter((value) => !after.has(value)).map(shown);
    return added.length + removed.length === 0 ? undefined : { field, added, removed };
  }
}

function definedDisplay(before: string | undefined, after: string | undefined) {
  return { ...(before === undefined ? {} : { before }), ...(after === undefined ? {} : { after }) };
}

function octal(mode: number | undefined): string | undefined {
  return mode === undefined ? undefined : `0${mode.toString(8).padStart(3, "0")}`;
}

function ownerText(owner: IgnitionOwner | undefined): string | undefined {
  if (owner === undefined) return undefined;
  if (owner.name !== undefined && owner.id !== undefined) return `${owner.name} (id ${owner.id})`;
  return owner.name ?? `id ${owner.id}`;
}

function userFields(
  fields: FieldComparer,
  a: IgnitionUser | undefined,
  b: IgnitionUser | undefined,
): FieldChange[] {
  return [
    ...fields.value("uid", a?.uid, b?.uid),
    ...fields.value("gecos", a?.gecos, b?.gecos),
    ...fields.value("home dir", a?.homeDir, b?.homeDir),
    ...fields.value("shell", a?.shell, b?.shell),
    ...fields.value("primary group", a?.primaryGroup, b?.primaryGroup),
    ...fields.value("system", a?.system, b?.system),
    ...fields.value("no create home", a?.noCreateHome, b?.noCreateHome),
    ...fields.value("no user group", a?.noUserGroup, b?.noUserGroup),
    ...fields.value("no log init", a?.noLogInit, b?.noLogInit),
    ...fields.value("should exist", a?.shouldExist, b?.shouldExist),
    ...fields.secret("password hash", a?.passwordHash, b?.passwordHash),
  ];
}

function kernelArgumentMap(config: DecodedIgnition): Map<string, string> {
  const out = new Map<string, string>();
  for (const argument of config.kernelArguments.shouldExist) out.set(argument, "should exist");
  for (const argument of config.kernelArguments.shouldNotExist) out.set(argument, "should not exist");
  return out;
}

function settingsMap(config: DecodedIgnition): Map<string, string> {
  return new Map([["version", config.version], ...config.settings]);
}

/** `scheme://user:password@` → `scheme://user:«secret»@`; query values too (presigned URLs). */
export function maskUrlCredentials(text: string): string {
  return text
    .replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^/\s:@"]*:)([^@\s/"]+)(@)/gi, `$1${SECRET_MASK}$3`)
    .replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^\s?"]*\?)([^\s#"]+)/gi, (_all, base: string, query: string) => {
      const masked = query
        .split("&")
        .map((pair) => (pair.includes("=") ? `${pair.slice(0, pair.indexOf("="))}=${SECRET_MASK}` : pair));
      return base + masked.join("&");
    });
}

interface ContentParts {
  readonly fields: FieldChange[];
  readonly lists: ListChange[];
  readonly contents: ContentChange[];
}

function statusOf(before: unknown, after: unknown): ContentStatus {
  if (before === undefined) return "added";
  if (after === undefined) return "removed";
  return "changed";
}

function decodeUtf8(bytes: Uint8Array): string | undefined {
  if (bytes.includes(0)) return undefined;
  try {
    // ignoreBOM keeps a byte order mark in the text, so adding or removing one is a change.
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

function blobInfo(bytes: Uint8Array): BlobInfo {
  return { bytes: bytes.length, sha256: createHash("sha256").update(bytes).digest("hex") };
}

function describeContents(contents: IgnitionContents | undefined): string | undefined {
  if (contents === undefined) return undefined;
  if (contents.kind === "none") return "empty";
  if (contents.kind === "remote") return contents.url;
  return decodeUtf8(contents.bytes) === undefined
    ? `inline, ${contents.bytes.length} bytes, binary`
    : "inline";
}

/**
 * Contents of a file (or an `append` fragment, or a remote config): a text or binary diff for
 * inline data, field changes for remote sources and hashes. `undefined` on a side: there is
 * nothing there (the file or the fragment is added or removed).
 */
function compareContents(
  context: Context,
  path: string,
  label: string,
  a: IgnitionContents | undefined,
  b: IgnitionContents | undefined,
): ContentParts {
  if (a === undefined && b === undefined) return { fields: [], lists: [], contents: [] };
  const prefix = label === "contents" ? "" : `${label} `;
  const status = statusOf(a, b);
  const parts = contentParts(context, path, label, prefix, a, b, status);
  // After the source: a new URL comes with its new hash.
  if (a?.hash !== b?.hash)
    parts.fields.push(...context.fields.value(`${prefix}verification`, a?.hash, b?.hash));
  return parts;
}

function contentParts(
  context: Context,
  path: string,
  label: string,
  prefix: string,
  a: IgnitionContents | undefined,
  b: IgnitionContents | undefined,
  status: ContentStatus,
): ContentParts {
  const out: ContentParts = { fields: [], lists: [], contents: [] };
  const { fields } = context;
  const isData = (c: IgnitionContents | undefined) => c === undefined || c.kind !== "remote";
  if (isData(a) && isData(b)) {
    const bytesBefore = a?.kind === "inline" ? a.bytes : undefined;
    const bytesAfter = b?.kind === "inline" ? b.bytes : undefined;
    const change = compareBytes(context, path, label, bytesBefore, bytesAfter, status);
    if (change !== undefined) out.contents.push(change);
    return out;
  }
  if (a?.kind === "remote" && b?.kind === "remote") {
    out.fields.push(
      ...fields.masked(`${prefix}source`, a.url, b.url),
      ...fields.value(`${prefix}compression`, a.compression, b.compression),
    );
    const names = fields.list(`${prefix}http header`, [...a.httpHeaders.keys()], [...b.httpHeaders.keys()]);
    if (names) out.lists.push(names);
    for (const [name, value] of b.httpHeaders) {
      const previous = a.httpHeaders.get(name);
      if (previous !== undefined && previous !== value) {
        out.fields.push(...fields.secret(`${prefix}http header ${name}`, previous, value));
      }
    }
    return out;
  }
  // One side remote, the other inline or empty (or absent): say what each is, and show the text.
  if (a !== undefined && b !== undefined) {
    out.fields.push(...fields.masked(`${prefix}source`, describeContents(a), describeContents(b)));
  } else {
    const remote = (a ?? b) as IgnitionContents & { kind: "remote" };
    out.fields.push(
      ...fields.masked(
        `${prefix}source`,
        a === undefined ? undefined : remote.url,
        b === undefined ? undefined : remote.url,
      ),
    );
  }
  const inlineBefore = a?.kind === "inline" ? a.bytes : undefined;
  const inlineAfter = b?.kind === "inline" ? b.bytes : undefined;
  if (inlineBefore !== undefined || inlineAfter !== undefined) {
    const change = compareBytes(
      context,
      path,
      label,
      inlineBefore,
      inlineAfter,
      inlineBefore === undefined ? "added" : "removed",
    );
    if (change !== undefined) out.contents.push(change);
  }
  return out;
}

/** Text of a unit or drop-in; absent contents count as empty text. */
function compareUnitText(
  context: Context,
  path: string,
  label: string,
  a: string | undefined,
  b: string | undefined,
): ContentChange | undefined {
  if (a === b) return undefined;
  const status = statusOf(a, b);
  return textChange(context, path, label, a ?? "", b ?? "", status);
}

function compareBytes(
  context: Context,
  path: string,
  label: string,
  a: Uint8Array | undefined,
  b: Uint8Array | undefined,
  status: ContentStatus,
): ContentChange | undefined {
  const before = a ?? new Uint8Array();
  const after = b ?? new Uint8Array();
  if (Buffer.from(before.buffer, before.byteOffset, before.length).equals(after)) return undefined;
  if (isWholeFileSecret(path)) return { kind: "secret", label, status };
  const textBefore = decodeUtf8(before);
  const textAfter = decodeUtf8(after);
  if (textBefore === undefined || textAfter === undefined) {
    return {
      kind: "binary",
      label,
      status,
      ...(a === undefined ? {} : { before: blobInfo(before) }),
      ...(b === undefined ? {} : { after: blobInfo(after) }),
    };
  }
  return textChange(context, path, label, textBefore, textAfter, status);
}

function textChange(
  context: Context,
  path: string,
  label: string,
  before: string,
  after: string,
  status: ContentStatus,
): ContentChange | undefined {
  const rangesBefore = secretRanges(path, before, context.secrets);
  const rangesAfter = secretRanges(path, after, context.secrets);
  const suffix = label === "contents" || label === "unit" || label.startsWith("drop-in") ? "" : ` (${label})`;
  const diff = unifiedDiff(
    {
      before: status === "added" ? "/dev/null" : `a${path}${suffix}`,
      after: status === "removed" ? "/dev/null" : `b${path}${suffix}`,
    },
    maskedLines(before, rangesBefore),
    maskedLines(after, rangesAfter),
    context.lines,
  );
  if (diff === undefined) return undefined;
  const secretsBefore = secretValues(before, rangesBefore);
  const secretsAfter = secretValues(after, rangesAfter);
  const secretChanged =
    status === "changed" &&
    (secretsBefore.length !== secretsAfter.length ||
      secretsBefore.some((value, i) => value !== secretsAfter[i]));
  const keys =
    status === "changed" ? secretFreeChangedKeys(path, before, rangesBefore, after, rangesAfter) : undefined;
  return {
    kind: "text",
    label,
    status,
    diff,
    secretChanged,
    ...(keys === undefined ? {} : { changedKeys: keys }),
  };
}

/**
 * `changedKeys` on the texts with every secret replaced by a numbered placeholder (the same
 * value, the same number, on both sides): a changed secret still changes its key, and a key
 * name cut out of a line can never carry a piece of a secret.
 */
function secretFreeChangedKeys(
  path: string,
  before: string,
  rangesBefore: readonly SecretRange[],
  after: string,
  rangesAfter: readonly SecretRange[],
): string[] | undefined {
  const numbers = new Map<string, number>();
  const placeholders = (text: string, ranges: readonly SecretRange[]) => {
    let out = "";
    let cursor = 0;
    for (const range of ranges) {
      const value = text.slice(range.start, range.end);
      if (!numbers.has(value)) numbers.set(value, numbers.size);
      out += `${text.slice(cursor, range.start)}«secret${numbers.get(value)}»`;
      cursor = range.end;
    }
    return out + text.slice(cursor);
  };
  const keys = changedKeys(path, placeholders(before, rangesBefore), placeholders(after, rangesAfter));
  return keys?.map((key) => key.replace(/«secret\d+»/g, SECRET_MASK));
}

/** Every string of the value with the caller's secrets masked. */
function scrubDeep<T>(value: T, secrets: SecretList): T {
  if (typeof value === "string") return secrets.scrub(value) as T;
  if (Array.isArray(value)) return value.map((item) => scrubDeep(item, secrets)) as T;
  if (typeof value === "object" && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = scrubDeep(item, secrets);
    return out as T;
  }
  return value;
}
