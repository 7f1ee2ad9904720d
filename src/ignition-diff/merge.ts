import type { IgnitionOwner } from "./decoded.js";
import type { RawConfig, RawNode, RawResource, RawUnit } from "./partial.js";
import { definedFields } from "./read.js";

/**
 * Ignition's config merge (`ignition.config.merge`), on the read configs. The rules are those of
 * coreos/ignition `config/merge/merge.go` ("Rules of Config Merging"):
 * - a field the child sets replaces the parent's; structs (contents, user, group) merge field by
 *   field;
 * - keyed lists merge entries with the same key and append the others: files, directories and
 *   links by path in one shared key space (a child's link at a parent file's path removes the
 *   file), units and users and groups by name, drop-ins by name, disks and filesystems by
 *   device, LUKS and RAID by name, kernel arguments by value across both lists;
 * - lists of plain values (SSH keys, a user's groups) merge by value: duplicates collapse;
 * - `append` fragments are concatenated;
 * - an HTTP header without a value removes the parent's header of that name.
 */
export function mergeConfigs(parent: RawConfig, child: RawConfig): RawConfig {
  return {
    version: parent.version,
    nodes: mergeMaps(parent.nodes, child.nodes, mergeNode),
    units: mergeMaps(parent.units, child.units, mergeUnit),
    users: mergeMaps(parent.users, child.users, (a, b) => ({
      ...a,
      ...definedFields(b),
      sshAuthorizedKeys: union(a.sshAuthorizedKeys, b.sshAuthorizedKeys),
      groups: union(a.groups, b.groups),
    })),
    groups: mergeMaps(parent.groups, child.groups, (a, b) => ({ ...a, ...definedFields(b) })),
    kernelArguments: mergeMaps(parent.kernelArguments, child.kernelArguments, (_, b) => b),
    storage: mergeMaps(parent.storage, child.storage, (a, b) => ({
      key: a.key,
      origin: b.origin,
      fields: new Map([...a.fields, ...b.fields]),
    })),
    settings: new Map([...parent.settings, ...child.settings]),
    references: new Map([...parent.references, ...child.references]),
  };
}

function mergeMaps<V>(
  parent: ReadonlyMap<string, V>,
  child: ReadonlyMap<string, V>,
  merge: (parent: V, child: V) => V,
): Map<string, V> {
  const out = new Map(parent);
  for (const [key, value] of child) {
    const existing = out.get(key);
    out.set(key, existing === undefined ? value : merge(existing, value));
  }
  return out;
}

function union(a: readonly string[], b: readonly string[]): string[] {
  return [...new Set([...a, ...b])];
}

function mergeOwner(a: IgnitionOwner | undefined, b: IgnitionOwner | undefined): IgnitionOwner | undefined {
  if (a === undefined || b === undefined) return b ?? a;
  return { ...a, ...definedFields(b) };
}

function mergeNode(parent: RawNode, child: RawNode): RawNode {
  // Same path in another list: the child's entry replaces the parent's outright.
  if (parent.kind !== child.kind) return child;
  const owners = {
    ...definedFields({
      user: mergeOwner(parent.user, child.user),
      group: mergeOwner(parent.group, child.group),
    }),
  };
  if (parent.kind === "file" && child.kind === "file") {
    const contents = mergeResource(parent.contents, child.contents);
    return {
      ...parent,
      ...definedFields(child),
      ...owners,
      ...(contents === undefined ? {} : { contents }),
      append: [...parent.append, ...child.append],
    };
  }
  return { ...parent, ...definedFields(child), ...owners } as RawNode;
}

function mergeResource(a: RawResource | undefined, b: RawResource | undefined): RawResource | undefined {
  if (a === undefined || b === undefined) return b ?? a;
  const headers = new Map(a.httpHeaders);
  for (const [name, value] of b.httpHeaders) {
    if (value === undefined) headers.delete(name);
    else headers.set(name, value);
  }
  return { ...a, ...definedFields(b), httpHeaders: headers };
}

function mergeUnit(parent: RawUnit, child: RawUnit): RawUnit {
  return {
    ...parent,
    ...definedFields(child),
    dropins: mergeMaps(parent.dropins, child.dropins, (a, b) => ({ ...a, ...definedFields(b) })),
  };
}
