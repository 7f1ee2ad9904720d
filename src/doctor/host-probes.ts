import { constants } from "node:fs";
import { access, readFile, stat, statfs } from "node:fs/promises";
import { networkInterfaces } from "node:os";
import { delimiter, join } from "node:path";
import { runProcess } from "../libvirt/index.js";
import type { FileStat, HostProbes, HostRoute, InterfaceAddress } from "./probes.js";

export interface HostProbeOptions {
  /** The PATH to search, from the CLI's environment (the library never reads env vars). */
  readonly searchPath: string | undefined;
  readonly home: string;
}

// Normal users' PATH on Debian lacks the sbin directories where dnsmasq and libvirtd live.
export const SYSTEM_DIRECTORIES = [
  "/usr/local/sbin",
  "/usr/local/bin",
  "/usr/sbin",
  "/usr/bin",
  "/sbin",
  "/bin",
];

/** Where `which` looks, in order: PATH, then the system directories. */
export function searchDirectories(searchPath: string | undefined): string[] {
  return [...new Set([...(searchPath ?? "").split(delimiter).filter(Boolean), ...SYSTEM_DIRECTORIES])];
}

function kindOf(stats: import("node:fs").Stats): FileStat["kind"] {
  if (stats.isDirectory()) return "directory";
  if (stats.isFile()) return "file";
  if (stats.isCharacterDevice()) return "char-device";
  return "other";
}

/** Parses /proc/net/route (hex, little-endian addresses) into IPv4 routes. */
export function parseProcNetRoute(text: string): HostRoute[] {
  const toAddress = (hex: string) => {
    const value = Number.parseInt(hex, 16);
    return [value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, (value >>> 24) & 0xff].join(".");
  };
  const routes: HostRoute[] = [];
  for (const line of text.split("\n").slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 8 || !fields[0] || !fields[1] || !fields[7]) continue;
    const mask = toAddress(fields[7]);
    const prefix = mask
      .split(".")
      .reduce((bits, octet) => bits + Number(octet).toString(2).replace(/0/g, "").length, 0);
    routes.push({ interface: fields[0], destination: toAddress(fields[1]), prefix });
  }
  return routes;
}

/** The real host. */
export function createHostProbes(options: HostProbeOptions): HostProbes {
  const directories = searchDirectories(options.searchPath);
  return {
    run: runProcess,
    async which(program) {
      for (const directory of [...new Set(directories)]) {
        const candidate = join(directory, program);
        try {
          await access(candidate, constants.X_OK);
          if ((await stat(candidate)).isFile()) return candidate;
        } catch {
          // not here
        }
      }
      return undefined;
    },
    async stat(path) {
      try {
        const stats = await stat(path);
        return {
          kind: kindOf(stats),
          mode: stats.mode & 0o7777,
          uid: stats.uid,
          gid: stats.gid,
          dev: stats.dev,
        };
      } catch {
        return undefined;
      }
    },
    async readText(path) {
      try {
        return await readFile(path, "utf8");
      } catch {
        return undefined;
      }
    },
    async freeBytes(path) {
      try {
        const stats = await statfs(path);
        return stats.bavail * stats.bsize;
      } catch {
        return undefined;
      }
    },
    async interfaceAddresses() {
      const addresses: InterfaceAddress[] = [];
      for (const [name, entries] of Object.entries(networkInterfaces())) {
        for (const entry of entries ?? []) {
          if (entry.family !== "IPv4") continue;
          const prefix = Number(entry.cidr?.split("/")[1] ?? 32);
          addresses.push({ interface: name, address: entry.address, prefix });
        }
      }
      return addresses;
    },
    async routes() {
      try {
        return parseProcNetRoute(await readFile("/proc/net/route", "utf8"));
      } catch {
        return [];
      }
    },
    user: { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 },
    home: options.home,
  };
}
