import { isSessionUri } from "../libvirt/index.js";
import type { FileStat, HostProbes } from "./probes.js";
import type { DistroFamily } from "./types.js";

/** A Unix account as far as file permissions care: its uid and every group it is in. */
export interface UnixAccount {
  readonly name: string;
  readonly uid: number;
  readonly gids: readonly number[];
}

/** The QEMU account and how homelab found out. */
export interface QemuAccount {
  readonly name: string;
  /** undefined when the user does not exist on this host (libvirt would refuse to start VMs). */
  readonly account: UnixAccount | undefined;
  readonly source: string;
}

export const QEMU_CONF = "/etc/libvirt/qemu.conf";

/** The uncommented `user = "…"` of qemu.conf, if any. */
export function parseQemuConfUser(text: string): string | undefined {
  let user: string | undefined;
  for (const line of text.split("\n")) {
    const match = /^\s*user\s*=\s*"([^"]*)"/.exec(line);
    if (match) user = match[1];
  }
  return user;
}

/** The uncommented `security_driver = "…"` of qemu.conf, if any ("none" disables confinement). */
export function parseQemuConfSecurityDriver(text: string): string | undefined {
  let driver: string | undefined;
  for (const line of text.split("\n")) {
    const match = /^\s*security_driver\s*=\s*(?:"([^"]*)"|\[\s*"([^"]*)")/.exec(line);
    if (match) driver = match[1] ?? match[2];
  }
  return driver;
}

/** The account the distribution's libvirt package runs QEMU as when qemu.conf says nothing. */
export function defaultQemuUser(family: DistroFamily | undefined): string | undefined {
  if (family === "debian") return "libvirt-qemu";
  if (family === "arch" || family === "fedora") return "qemu";
  return undefined;
}

/** Looks an account up in /etc/passwd and /etc/group text; `+N` means uid N (qemu.conf syntax). */
export function lookupAccount(passwd: string, group: string, nameOrUid: string): UnixAccount | undefined {
  const users = passwd
    .split("\n")
    .map((line) => line.split(":"))
    .filter((fields) => fields.length >= 4);
  const numeric = /^\+(\d+)$/.exec(nameOrUid)?.[1];
  const entry = users.find((fields) =>
    numeric !== undefined ? fields[2] === numeric : fields[0] === nameOrUid,
  );
  if (!entry) {
    return numeric !== undefined ? { name: nameOrUid, uid: Number(numeric), gids: [] } : undefined;
  }
  const name = entry[0] ?? nameOrUid;
  const gids = new Set<number>([Number(entry[3])]);
  for (const line of group.split("\n")) {
    const fields = line.split(":");
    if (fields.length < 4) continue;
    const members = (fields[3] ?? "").split(",").map((member) => member.trim());
    if (members.includes(name)) gids.add(Number(fields[2]));
  }
  return { name, uid: Number(entry[2]), gids: [...gids] };
}

/** Who QEMU runs as for `uri`: the caller for session URIs, else qemu.conf's user or the distribution default. */
export async function resolveQemuAccount(
  probes: HostProbes,
  family: DistroFamily | undefined,
  uri: string,
): Promise<QemuAccount> {
  const passwd = (await probes.readText("/etc/passwd")) ?? "";
  const group = (await probes.readText("/etc/group")) ?? "";
  if (isSessionUri(uri)) {
    const account = lookupAccount(passwd, group, `+${probes.user.uid}`);
    return {
      name: account?.name ?? String(probes.user.uid),
      account: account && { ...account, gids: [...new Set([...account.gids, probes.user.gid])] },
      source: "session URI: QEMU runs as you",
    };
  }
  const configured = parseQemuConfUser((await probes.readText(QEMU_CONF)) ?? "");
  if (configured !== undefined) {
    return {
      name: configured,
      account: lookupAccount(passwd, group, configured),
      source: `${QEMU_CONF} user =`,
    };
  }
  const byDistro = defaultQemuUser(family);
  const candidates = byDistro ? [byDistro] : ["libvirt-qemu", "qemu"];
  for (const name of candidates) {
    const account = lookupAccount(passwd, group, name);
    if (account)
      return { name, account, source: byDistro ? "the distribution's default" : "found in /etc/passwd" };
  }
  return { name: candidates[0] ?? "qemu", account: undefined, source: "the distribution's default" };
}

/** Whether `account` may search (traverse) a directory with these permissions. */
export function mayTraverse(account: UnixAccount, stat: FileStat): boolean {
  if (account.uid === 0) return true;
  if (stat.uid === account.uid) return (stat.mode & 0o100) !== 0;
  if (account.gids.includes(stat.gid)) return (stat.mode & 0o010) !== 0;
  return (stat.mode & 0o001) !== 0;
}

/** The ancestors of an absolute path, root first, the path itself last. */
export function pathChain(path: string): string[] {
  const parts = path.split("/").filter(Boolean);
  return ["/", ...parts.map((_, index) => `/${parts.slice(0, index + 1).join("/")}`)];
}

export interface PathReach {
  /** The deepest part of the chain that exists. */
  readonly deepestExisting: string;
  /** True when the whole path exists. */
  readonly exists: boolean;
  /** The first existing directory the account cannot traverse, with its permissions. */
  readonly blockedAt: { readonly path: string; readonly stat: FileStat } | undefined;
  /** The first part of the chain that exists but is not a directory. */
  readonly notADirectory: string | undefined;
  /** Stat of the path itself, when it exists. */
  readonly stat: FileStat | undefined;
}

/**
 * Walks the path from `/` and finds where `account` would be stopped. Parts that do not exist
 * yet are fine: libvirt (root) creates them when it builds the pool.
 */
export async function reachPath(probes: HostProbes, account: UnixAccount, path: string): Promise<PathReach> {
  let deepestExisting = "/";
  let blockedAt: PathReach["blockedAt"];
  let notADirectory: string | undefined;
  let last: FileStat | undefined;
  const chain = pathChain(path);
  for (const part of chain) {
    const stat = await probes.stat(part);
    if (!stat) {
      last = undefined;
      break;
    }
    deepestExisting = part;
    last = stat;
    if (stat.kind !== "directory") {
      notADirectory ??= part;
      break;
    }
    if (!blockedAt && !mayTraverse(account, stat)) blockedAt = { path: part, stat };
  }
  const exists = deepestExisting === chain.at(-1) && last !== undefined;
  return { deepestExisting, exists, blockedAt, notADirectory, stat: exists ? last : undefined };
}

/** `drwx------ root:root` style text for a message. */
export function describeMode(stat: FileStat): string {
  const bits = (shift: number) =>
    `${stat.mode & (4 << shift) ? "r" : "-"}${stat.mode & (2 << shift) ? "w" : "-"}${stat.mode & (1 << shift) ? "x" : "-"}`;
  return `${stat.kind === "directory" ? "d" : "-"}${bits(6)}${bits(3)}${bits(0)} uid ${stat.uid} gid ${stat.gid}`;
}
