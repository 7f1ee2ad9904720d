import type {
  DomainTypeSupport,
  LibvirtNetwork,
  LibvirtPool,
  LibvirtReachability,
} from "../libvirt/index.js";
import type { ClusterPlan } from "../plan/index.js";
import type { HostProbes } from "./probes.js";
import type { QemuAccount } from "./qemu-user.js";
import type { DistroFamily } from "./types.js";

/** What libvirt said, asked once per doctor run and shared by the checks. */
export interface LibvirtFacts {
  readonly reachability: LibvirtReachability;
  /** True when the URI is on this machine, so file and network checks apply to this host. */
  readonly local: boolean;
  /** Undefined when libvirt could not be asked. */
  readonly pools: readonly LibvirtPool[] | undefined;
  readonly networks: readonly LibvirtNetwork[] | undefined;
  readonly domainType: DomainTypeSupport | undefined;
}

/**
 * The parts of a cluster plan the host checks read. `hosts` with `multiHost`: every host is
 * checked (see hosts.ts); without, the environment's one libvirt URI.
 */
export type DoctorPlan = Pick<ClusterPlan, "environment" | "pool" | "network" | "nodes"> &
  Partial<Pick<ClusterPlan, "hosts" | "multiHost">>;

/** Everything one check may look at. Checks are functions of this and return one result. */
export interface DoctorContext {
  readonly plan: DoctorPlan;
  readonly probes: HostProbes;
  readonly family: DistroFamily | undefined;
  readonly libvirt: LibvirtFacts;
  readonly qemu: QemuAccount;
  /** Where the Flatcar image is cached, and whether the pinned one is already there. */
  readonly image: { readonly cacheDir: string; readonly cached: boolean };
}
