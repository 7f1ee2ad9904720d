import type { DistroFamily } from "./types.js";

export interface OsRelease {
  readonly id: string | undefined;
  readonly idLike: readonly string[];
  readonly prettyName: string | undefined;
}

/** Parses /etc/os-release (KEY=value lines, values optionally quoted). */
export function parseOsRelease(text: string): OsRelease {
  const values = new Map<string, string>();
  for (const line of text.split("\n")) {
    const match = /^\s*([A-Z0-9_]+)=(.*)$/.exec(line);
    if (!match?.[1]) continue;
    let value = (match[2] ?? "").trim();
    const quote = value[0];
    if ((quote === '"' || quote === "'") && value.endsWith(quote) && value.length >= 2) {
      value = value.slice(1, -1).replace(/\\(["'$`\\])/g, "$1");
    }
    values.set(match[1], value);
  }
  return {
    id: values.get("ID")?.toLowerCase(),
    idLike: (values.get("ID_LIKE") ?? "").toLowerCase().split(/\s+/).filter(Boolean),
    prettyName: values.get("PRETTY_NAME") ?? values.get("NAME"),
  };
}

const FAMILY_IDS: Readonly<Record<DistroFamily, readonly string[]>> = {
  arch: ["arch", "archarm", "manjaro", "endeavouros", "garuda", "cachyos"],
  debian: ["debian", "ubuntu", "linuxmint", "pop", "raspbian", "kali", "elementary"],
  fedora: ["fedora", "rhel", "centos", "rocky", "almalinux", "nobara"],
};

/** The family whose install commands apply: by ID first, then by ID_LIKE. */
export function distroFamily(release: OsRelease | undefined): DistroFamily | undefined {
  if (!release) return undefined;
  for (const candidate of [release.id, ...release.idLike]) {
    if (candidate === undefined) continue;
    for (const [family, ids] of Object.entries(FAMILY_IDS) as [DistroFamily, readonly string[]][]) {
      if (ids.includes(candidate)) return family;
    }
  }
  return undefined;
}
