import { parseNameList, runVirsh, type VirshOptions, virsh, virshError } from "./virsh.js";
import { elementText } from "./xml.js";

/** A libvirt storage pool as `virsh` describes it. */
export interface LibvirtPool {
  readonly name: string;
  readonly active: boolean;
  /** `pool type` attribute: dir, fs, logical, … */
  readonly type: string | undefined;
  /** `<target><path>`: the directory of a dir pool. Absent for pools without a target path. */
  readonly targetPath: string | undefined;
}

/** Reads the pool type and target path from `virsh pool-dumpxml` output. */
export function parsePoolXml(xml: string): {
  readonly type: string | undefined;
  readonly targetPath: string | undefined;
} {
  const type = /<pool\s[^>]*type=["']([^"']+)["']/.exec(xml)?.[1];
  const targetPath = elementText(xml, ["target", "path"]);
  return { type, targetPath: targetPath === "" ? undefined : targetPath };
}

/**
 * The target path of one pool, or undefined when no pool of that name is defined.
 * @throws HomelabError `libvirt-unreachable` / `libvirt-permission-denied`.
 */
export async function poolTargetPath(
  uri: string,
  name: string,
  options: VirshOptions = {},
): Promise<string | undefined> {
  const result = await runVirsh(uri, ["pool-dumpxml", "--", name], options);
  if (result.exitCode === 0) return parsePoolXml(result.stdout).targetPath;
  if (/failed to get pool|storage pool not found/i.test(result.stderr)) return undefined;
  throw virshError(uri, ["pool-dumpxml", name], result);
}

/**
 * Every storage pool libvirt knows (active and inactive), with its target path, sorted by name.
 * Used by doctor's pool-conflict check: two pools on one directory fight over its volumes.
 * @throws HomelabError `libvirt-unreachable` / `libvirt-permission-denied`.
 */
export async function listPools(uri: string, options: VirshOptions = {}): Promise<LibvirtPool[]> {
  const [all, inactive] = await Promise.all([
    virsh(uri, ["pool-list", "--all", "--name"], options),
    virsh(uri, ["pool-list", "--inactive", "--name"], options),
  ]);
  const inactiveNames = new Set(parseNameList(inactive));
  const names = parseNameList(all).sort();
  const pools = await Promise.all(
    names.map(async (name): Promise<LibvirtPool | undefined> => {
      const result = await runVirsh(uri, ["pool-dumpxml", "--", name], options);
      if (result.exitCode !== 0) {
        if (/failed to get pool|storage pool not found/i.test(result.stderr)) return undefined; // removed meanwhile
        throw virshError(uri, ["pool-dumpxml", name], result);
      }
      return { name, active: !inactiveNames.has(name), ...parsePoolXml(result.stdout) };
    }),
  );
  return pools.filter((pool): pool is LibvirtPool => pool !== undefined);
}
