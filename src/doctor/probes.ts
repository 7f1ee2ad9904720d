import type { ProcessRunner } from "../libvirt/index.js";

export interface FileStat {
  readonly kind: "file" | "directory" | "char-device" | "other";
  /** Permission bits (mode & 0o7777). */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  /** Device id: two paths with the same `dev` share a filesystem (and its free space). */
  readonly dev: number;
}

export interface InterfaceAddress {
  readonly interface: string;
  readonly address: string;
  readonly prefix: number;
}

export interface HostRoute {
  readonly interface: string;
  readonly destination: string;
  readonly prefix: number;
}

/**
 * Everything doctor learns about the host, behind one interface: the real implementation
 * (host-probes.ts) asks the machine; unit tests pass tables. Probes never throw for a
 * missing file or program; they answer `undefined`.
 */
export interface HostProbes {
  readonly run: ProcessRunner;
  /** Absolute path of a program on the search path (plus the sbin directories), if any. */
  which(program: string): Promise<string | undefined>;
  /** Follows symlinks; undefined when the path does not exist. */
  stat(path: string): Promise<FileStat | undefined>;
  readText(path: string): Promise<string | undefined>;
  /** Bytes available to unprivileged users on the filesystem holding `path`. */
  freeBytes(path: string): Promise<number | undefined>;
  interfaceAddresses(): Promise<InterfaceAddress[]>;
  /** IPv4 routes of the main table (default route included as prefix 0). */
  routes(): Promise<HostRoute[]>;
  /** Who runs doctor (QEMU runs as this user for qemu:///session). */
  readonly user: { readonly uid: number; readonly gid: number };
  /** The user's home directory, for `~/` in SSH key paths. */
  readonly home: string;
}
