import { decodeDataUrl, decompress, isDataUrl } from "./data-url.js";
import type {
  DecodedIgnition,
  IgnitionConfigReference,
  IgnitionContents,
  IgnitionDirectory,
  IgnitionFile,
  IgnitionGroup,
  IgnitionLink,
  IgnitionOrigin,
  IgnitionOwner,
  IgnitionStorageEntry,
  IgnitionUnit,
  IgnitionUser,
} from "./decoded.js";
import { mergeConfigs } from "./merge.js";
import type { RawConfig, RawNode, RawResource, RawUnit } from "./partial.js";
import {
  asObject,
  canonicalJson,
  DecodeFailure,
  definedFields,
  fail,
  type IgnitionDecodeError,
  type JsonObject,
  optBoolean,
  optInteger,
  optList,
  optObject,
  optString,
  reqString,
  stringList,
} from "./read.js";

/** The Ignition spec versions `decodeIgnition` reads; homelab writes 3.3.0. */
export const SUPPORTED_IGNITION_VERSIONS = ["3.0.0", "3.1.0", "3.2.0", "3.3.0", "3.4.0", "3.5.0"] as const;

/** Merged configs nested deeper than this are refused (Ignition has no limit; state files never nest). */
export const MAX_MERGE_DEPTH = 8;

export type IgnitionDecodeResult =
  | { readonly ok: true; readonly config: DecodedIgnition }
  | { readonly ok: false; readonly error: IgnitionDecodeError };

/**
 * Parses an Ignition 3.0–3.5 config into the normalized view of `DecodedIgnition`: inline
 * (`data:`) contents decoded, gzip undone, inline merged configs decoded recursively and merged
 * the way Ignition merges them, each entry labelled with the config it comes from. Remote
 * contents and remote merge/replace configs are kept as URL and hash: the library never fetches.
 *
 * Never throws: malformed input gives `{ ok: false, error }` with the JSON path of the problem.
 */
export function decodeIgnition(text: string): IgnitionDecodeResult {
  try {
    const parsed = parseJson(text, "$");
    return { ok: true, config: resolve(readConfig(parsed, "$", [], 0)) };
  } catch (error) {
    if (error instanceof DecodeFailure) return { ok: false, error: error.error };
    // Only a bug in this module gets here; report it as input the decoder could not read, with
    // the cause, rather than letting a raw exception escape into the plan output.
    const message = error instanceof Error ? error.message : String(error);
    return { ok: false, error: { kind: "invalid-field", path: "$", message: `cannot decode: ${message}` } };
  }
}

function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const reason = error instanceof SyntaxError ? error.message : "unreadable";
    return fail("invalid-json", where, `not valid JSON: ${reason}`);
  }
}

function originName(segments: readonly string[]): IgnitionOrigin {
  if (segments.length === 0) return "main";
  if (segments.length === 1 && segments[0] === "replace") return "replacement config";
  const merges = segments.filter((s) => s !== "replace");
  const replaced = segments.at(-1) === "replace" ? " (replacement)" : "";
  return merges.length === 0 ? "replacement config" : `merged config ${merges.join(".")}${replaced}`;
}

/** Reads one config and folds in its inline merge (or replace) configs, as Ignition renders it. */
function readConfig(value: unknown, where: string, segments: readonly string[], depth: number): RawConfig {
  if (depth > MAX_MERGE_DEPTH) {
    fail("too-deep", where, `merged configs nest more than ${MAX_MERGE_DEPTH} levels deep`);
  }
  const root = asObject(value, where);
  const ignition = optObject(root, "ignition", where);
  if (ignition === undefined) fail("unsupported-version", `${where}.ignition`, "ignition.version is missing");
  const version = reqString(ignition, "version", `${where}.ignition`);
  if (!(SUPPORTED_IGNITION_VERSIONS as readonly string[]).includes(version)) {
    fail(
      "unsupported-version",
      `${where}.ignition.version`,
      `Ignition spec ${version} is not supported (readable: ${SUPPORTED_IGNITION_VERSIONS.join(", ")})`,
    );
  }
  const origin = originName(segments);
  const own = readOwn(root, where, origin, version);
  const references = new Map(own.references);
  const configPath = `${where}.ignition.config`;
  const config = optObject(ignition, "config", `${where}.ignition`);

  const replace = config === undefined ? undefined : optObject(config, "replace", configPath);
  if (replace !== undefined) {
    const resource = readResource(replace, `${configPath}.replace`);
    if (resource.source !== undefined && resource.source !== "") {
      if (isDataUrl(resource.source)) {
        // Ignition renders the replacement config instead of this one (the rest is ignored).
        return inlineConfig(resource, [...segments, "replace"], depth);
      }
      const reference = remoteReference("replace", resource, origin);
      references.set(`replace ${reference.contents.url}`, reference);
    }
  }

  let result: RawConfig = { ...own, references };
  const merges = config === undefined ? [] : optList(config, "merge", configPath);
  merges.forEach((entry, index) => {
    const resource = readResource(
      asObject(entry, `${configPath}.merge[${index}]`),
      `${configPath}.merge[${index}]`,
    );
    if (resource.source === undefined || resource.source === "") {
      fail("invalid-field", `${resource.where}.source`, `${resource.where}.source is required`);
    }
    if (isDataUrl(resource.source)) {
      result = mergeConfigs(result, inlineConfig(resource, [...segments, String(index + 1)], depth));
    } else {
      const reference = remoteReference("merge", resource, origin);
      result = {
        ...result,
        references: new Map([...result.references, [`merge ${reference.contents.url}`, reference]]),
      };
    }
  });
  return result;
}

function inlineConfig(resource: RawResource, segments: readonly string[], depth: number): RawConfig {
  const bytes = resourceBytes(resource);
  const text = Buffer.from(bytes).toString("utf8");
  const where = `${resource.where} → $`;
  return readConfig(parseJson(text, where), where, segments, depth + 1);
}

function remoteReference(
  kind: "merge" | "replace",
  resource: RawResource,
  origin: IgnitionOrigin,
): IgnitionConfigReference {
  const contents = resolveContents(resource);
  if (contents.kind !== "remote") fail("invalid-field", resource.where, "expected a remote source");
  return { kind, origin, contents };
}

/** The entries a config declares itself (not those of its merged configs). */
function readOwn(root: JsonObject, where: string, origin: IgnitionOrigin, version: string): RawConfig {
  const nodes = new Map<string, RawNode>();
  const storage = optObject(root, "storage", where);
  const storagePath = `${where}.storage`;
  const addNode = (node: RawNode, path: string) => {
    const existing = nodes.get(node.path);
    if (existing !== undefined) {
      fail(
        "invalid-field",
        path,
        `${node.path} is declared twice (as a ${existing.kind} and a ${node.kind})`,
      );
    }
    nodes.set(node.path, node);
  };
  const storageEntries = new Map<string, IgnitionStorageEntry>();
  if (storage !== undefined) {
    eachObject(storage, "files", storagePath, (file, path) => addNode(readFile(file, path, origin), path));
    eachObject(storage, "directories", storagePath, (dir, path) => {
      const node: IgnitionDirectory & { kind: "directory" } = {
        kind: "directory",
        ...readNodeFields(dir, path, origin),
        ...definedFields({ mode: optInteger(dir, "mode", path) }),
      };
      addNode(node, path);
    });
    eachObject(storage, "links", storagePath, (link, path) => {
      const node: IgnitionLink & { kind: "link" } = {
        kind: "link",
        ...readNodeFields(link, path, origin),
        ...definedFields({ target: optString(link, "target", path), hard: optBoolean(link, "hard", path) }),
      };
      addNode(node, path);
    });
    const shallow = (list: string, label: string, keyField: string) =>
      eachObject(storage, list, storagePath, (entry, path) => {
        const key = `${label} ${reqString(entry, keyField, path)}`;
        if (storageEntries.has(key)) fail("invalid-field", path, `${key} is declared twice`);
        const fields = new Map<string, string>();
        for (const name of Object.keys(entry).sort()) {
          if (name !== keyField && entry[name] !== null) fields.set(name, canonicalJson(entry[name]));
        }
        storageEntries.set(key, { key, origin, fields });
      });
    shallow("disks", "disk", "device");
    shallow("filesystems", "filesystem", "device");
    shallow("luks", "luks", "name");
    shallow("raid", "raid", "name");
  }

  const units = new Map<string, RawUnit>();
  const systemd = optObject(root, "systemd", where);
  if (systemd !== undefined) {
    eachObject(systemd, "units", `${where}.systemd`, (unit, path) => {
      const name = reqString(unit, "name", path);
      if (units.has(name)) fail("invalid-field", path, `unit ${name} is declared twice`);
      const dropins = new Map<string, { name: string; contents?: string }>();
      eachObject(unit, "dropins", path, (dropin, dropinPath) => {
        const dropinName = reqString(dropin, "name", dropinPath);
        if (dropins.has(dropinName))
          fail("invalid-field", dropinPath, `drop-in ${dropinName} is declared twice`);
        dropins.set(dropinName, {
          name: dropinName,
          ...definedFields({ contents: optString(dropin, "contents", dropinPath) }),
        });
      });
      units.set(name, {
        name,
        origin,
        ...definedFields({
          enabled: optBoolean(unit, "enabled", path),
          mask: optBoolean(unit, "mask", path),
          contents: optString(unit, "contents", path),
        }),
        dropins,
      });
    });
  }

  const users = new Map<string, IgnitionUser>();
  const groups = new Map<string, IgnitionGroup>();
  const passwd = optObject(root, "passwd", where);
  if (passwd !== undefined) {
    eachObject(passwd, "users", `${where}.passwd`, (user, path) => {
      const name = reqString(user, "name", path);
      if (users.has(name)) fail("invalid-field", path, `user ${name} is declared twice`);
      users.set(name, {
        name,
        origin,
        sshAuthorizedKeys: [...new Set(stringList(user, "sshAuthorizedKeys", path))],
        groups: [...new Set(stringList(user, "groups", path))],
        ...definedFields({
          passwordHash: optString(user, "passwordHash", path),
          uid: optInteger(user, "uid", path),
          gecos: optString(user, "gecos", path),
          homeDir: optString(user, "homeDir", path),
          noCreateHome: optBoolean(user, "noCreateHome", path),
          primaryGroup: optString(user, "primaryGroup", path),
          shell: optString(user, "shell", path),
          system: optBoolean(user, "system", path),
          noUserGroup: optBoolean(user, "noUserGroup", path),
          noLogInit: optBoolean(user, "noLogInit", path),
          shouldExist: optBoolean(user, "shouldExist", path),
        }),
      });
    });
    eachObject(passwd, "groups", `${where}.passwd`, (group, path) => {
      const name = reqString(group, "name", path);
      if (groups.has(name)) fail("invalid-field", path, `group ${name} is declared twice`);
      groups.set(name, {
        name,
        origin,
        ...definedFields({
          gid: optInteger(group, "gid", path),
          passwordHash: optString(group, "passwordHash", path),
          system: optBoolean(group, "system", path),
          shouldExist: optBoolean(group, "shouldExist", path),
        }),
      });
    });
  }

  const kernelArguments = new Map<string, boolean>();
  const kargs = optObject(root, "kernelArguments", where);
  if (kargs !== undefined) {
    for (const [list, shouldExist] of [
      ["shouldExist", true],
      ["shouldNotExist", false],
    ] as const) {
      for (const argument of stringList(kargs, list, `${where}.kernelArguments`)) {
        if (kernelArguments.get(argument) === !shouldExist) {
          fail(
            "invalid-field",
            `${where}.kernelArguments.${list}`,
            `kernel argument ${argument} is in both lists`,
          );
        }
        kernelArguments.set(argument, shouldExist);
      }
    }
  }

  const settings = new Map<string, string>();
  const ignition = optObject(root, "ignition", where) ?? {};
  for (const section of ["timeouts", "proxy", "security"]) {
    const object = optObject(ignition, section, `${where}.ignition`);
    if (object === undefined) continue;
    for (const key of Object.keys(object).sort()) {
      if (object[key] !== null) settings.set(`${section}.${key}`, canonicalJson(object[key]));
    }
  }

  return {
    version,
    nodes,
    units,
    users,
    groups,
    kernelArguments,
    storage: storageEntries,
    settings,
    references: new Map(),
  };
}

function eachObject(
  parent: JsonObject,
  key: string,
  path: string,
  visit: (entry: JsonObject, path: string) => void,
): void {
  optList(parent, key, path).forEach((item, index) => {
    const itemPath = `${path}.${key}[${index}]`;
    visit(asObject(item, itemPath), itemPath);
  });
}

function readOwner(node: JsonObject, key: string, path: string): IgnitionOwner | undefined {
  const owner = optObject(node, key, path);
  if (owner === undefined) return undefined;
  const fields = definedFields({
    id: optInteger(owner, "id", `${path}.${key}`),
    name: optString(owner, "name", `${path}.${key}`),
  });
  return Object.keys(fields).length === 0 ? undefined : fields;
}

function readNodeFields(node: JsonObject, path: string, origin: IgnitionOrigin) {
  return {
    path: reqString(node, "path", path),
    origin,
    ...definedFields({
      user: readOwner(node, "user", path),
      group: readOwner(node, "group", path),
      overwrite: optBoolean(node, "overwrite", path),
    }),
  };
}

function readFile(file: JsonObject, path: string, origin: IgnitionOrigin): RawNode {
  const contents = optObject(file, "contents", path);
  return {
    kind: "file",
    ...readNodeFields(file, path, origin),
    ...definedFields({
      mode: optInteger(file, "mode", path),
      contents: contents === undefined ? undefined : readResource(contents, `${path}.contents`),
    }),
    append: optList(file, "append", path).map((item, index) =>
      readResource(asObject(item, `${path}.append[${index}]`), `${path}.append[${index}]`),
    ),
  };
}

function readResource(resource: JsonObject, path: string): RawResource {
  const verification = optObject(resource, "verification", path);
  const httpHeaders = new Map<string, string | undefined>();
  eachObject(resource, "httpHeaders", path, (header, headerPath) => {
    httpHeaders.set(reqString(header, "name", headerPath), optString(header, "value", headerPath));
  });
  return {
    ...definedFields({
      source: optString(resource, "source", path),
      compression: optString(resource, "compression", path),
      hash: verification === undefined ? undefined : optString(verification, "hash", `${path}.verification`),
    }),
    httpHeaders,
    where: path,
  };
}

function resourceBytes(resource: RawResource): Uint8Array {
  const decoded = decodeDataUrl(resource.source ?? "");
  if (!decoded.ok) fail("invalid-contents", `${resource.where}.source`, decoded.reason);
  const inflated = decompress(decoded.bytes, resource.compression);
  if (!inflated.ok) fail("invalid-contents", `${resource.where}.compression`, inflated.reason);
  return inflated.bytes;
}

function resolveContents(resource: RawResource | undefined): IgnitionContents {
  const hash = resource?.hash === undefined ? {} : { hash: resource.hash };
  const source = resource?.source;
  if (resource === undefined || source === undefined || source === "") return { kind: "none", ...hash };
  if (isDataUrl(source)) return { kind: "inline", bytes: resourceBytes(resource), ...hash };
  if (!URL.canParse(source)) fail("invalid-contents", `${resource.where}.source`, "source is not a URL");
  const headers = new Map([...resource.httpHeaders].filter(([, value]) => value !== undefined));
  return {
    kind: "remote",
    url: source,
    ...definedFields({ compression: resource.compression === "" ? undefined : resource.compression }),
    ...hash,
    httpHeaders: headers,
  };
}

/** Decodes the contents of the merged config and freezes it into the public view. */
function resolve(config: RawConfig): DecodedIgnition {
  const files = new Map<string, IgnitionFile>();
  const directories = new Map<string, IgnitionDirectory>();
  const links = new Map<string, IgnitionLink>();
  for (const node of config.nodes.values()) {
    if (node.kind === "file") {
      const { kind: _kind, contents, append, ...rest } = node;
      files.set(node.path, {
        ...rest,
        contents: resolveContents(contents),
        append: append.map(resolveContents),
      });
    } else if (node.kind === "directory") {
      const { kind: _kind, ...rest } = node;
      directories.set(node.path, rest);
    } else {
      const { kind: _kind, ...rest } = node;
      links.set(node.path, rest);
    }
  }
  const units = new Map<string, IgnitionUnit>(config.units);
  const shouldExist: string[] = [];
  const shouldNotExist: string[] = [];
  for (const [argument, exists] of config.kernelArguments)
    (exists ? shouldExist : shouldNotExist).push(argument);
  return {
    version: config.version,
    files,
    directories,
    links,
    units,
    users: config.users,
    groups: config.groups,
    kernelArguments: { shouldExist, shouldNotExist },
    configReferences: config.references,
    storage: config.storage,
    settings: config.settings,
  };
}
