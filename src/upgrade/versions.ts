/**
 * k3s and Flatcar version numbers, parsed and ordered. Pure.
 *
 * k3s versions are Kubernetes versions with k3s's own revision: `v1.34.10+k3s1` is Kubernetes
 * 1.34.10, k3s build 1 of it. Flatcar versions are `<build>.<branch>.<patch>` (`4757.2.1`).
 */

export interface K3sVersion {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
  /** The `+k3sN` revision. */
  readonly revision: number;
  readonly text: string;
}

const K3S_VERSION = /^v(\d+)\.(\d+)\.(\d+)\+k3s(\d+)$/;

export function parseK3sVersion(text: string): K3sVersion | undefined {
  const match = K3S_VERSION.exec(text);
  if (!match) return undefined;
  return {
    major: Number(match[1]),
    minor: Number(match[2]),
    patch: Number(match[3]),
    revision: Number(match[4]),
    text,
  };
}

/** Negative when `a` is older than `b`, 0 when equal, positive when newer. */
export function compareK3s(a: K3sVersion, b: K3sVersion): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch || a.revision - b.revision;
}

/** `1.34`: the Kubernetes minor release a version belongs to. */
export function minorOf(version: K3sVersion): string {
  return `${version.major}.${version.minor}`;
}

export interface FlatcarVersion {
  readonly parts: readonly [number, number, number];
  readonly text: string;
}

export function parseFlatcarVersion(text: string): FlatcarVersion | undefined {
  const match = /^(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (!match) return undefined;
  return { parts: [Number(match[1]), Number(match[2]), Number(match[3])], text };
}

export function compareFlatcar(a: FlatcarVersion, b: FlatcarVersion): number {
  return a.parts[0] - b.parts[0] || a.parts[1] - b.parts[1] || a.parts[2] - b.parts[2];
}

/** The Flatcar version of a base image key (`stable-4757.2.1` → `4757.2.1`). */
export function flatcarVersionOfBaseImage(key: string): string | undefined {
  const dash = key.indexOf("-");
  return dash < 0 ? undefined : key.slice(dash + 1);
}
