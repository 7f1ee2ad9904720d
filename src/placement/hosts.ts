import { posix } from "node:path";
import type { Environment } from "../environment/schema.js";
import type { PlanProblem } from "../plan/plan.js";
import type { PoolPlan } from "../plan/types.js";
import type { HostPlan } from "./types.js";

/** The name of the one host of an environment without `hosts`. */
export const SINGLE_HOST_NAME = "default";

/** libvirt's built-in URI; `libvirt.uri` has it as its default. */
const DEFAULT_LIBVIRT_URI = "qemu:///system";

/** Where libvirt's `default` pool lives; a second pool there conflicts with it. */
const LIBVIRT_DEFAULT_POOL_PATH = "/var/lib/libvirt/images";

/**
 * A URI in a form where two spellings of one libvirt connection compare equal: scheme and
 * authority lower-cased, `+unix` dropped (it is libvirt's default transport for a local
 * daemon), trailing slashes of the path removed.
 */
export function normalizeLibvirtUri(uri: string): string {
  const match = /^([a-z][a-z0-9+.-]*):\/\/([^/?#]*)([^?#]*)(.*)$/i.exec(uri.trim());
  if (!match) return uri.trim();
  const [, scheme = "", authority = "", path = "", rest = ""] = match;
  const transportless = scheme.toLowerCase().replace(/\+unix$/, "");
  return `${transportless}://${authority.toLowerCase()}${path.replace(/\/+$/, "")}${rest}`;
}

type Pool = Environment["pool"];

function resolvePool(
  pool: Pool,
  prefix: string,
  path: readonly (string | number)[],
  problems: PlanProblem[],
): PoolPlan {
  if (pool.existing) {
    if (pool.path !== undefined) {
      problems.push({
        code: "env-invalid",
        path: [...path, "path"],
        message: "pool.path is only for a pool homelab creates; an existing pool already has its directory",
        fix: "Remove the path, or set existing: false to have homelab create the pool there.",
      });
    }
    return { name: pool.name ?? "default", existing: true };
  }
  const directory = posix.normalize(pool.path ?? `/var/lib/libvirt/homelab/${prefix}`).replace(/\/+$/, "");
  if (directory === LIBVIRT_DEFAULT_POOL_PATH) {
    problems.push({
      code: "env-invalid",
      path: [...path, "path"],
      message: `${LIBVIRT_DEFAULT_POOL_PATH} belongs to libvirt's "default" pool; a second pool on the same directory conflicts with it`,
      fix: 'Reuse the default pool with { existing: true, name: "default" }, or choose another directory.',
    });
  }
  return { name: pool.name ?? prefix, path: directory, existing: false };
}

/**
 * The environment's hosts in placement order, and what is wrong with them: `hosts` empty, two
 * hosts with one URI, a NAT network across several hosts (a libvirt NAT network exists on one
 * host only: nodes on two hosts could not reach each other), a bridge-mode host without a
 * bridge, a host pool on libvirt's default directory, `libvirt.uri` set next to `hosts`.
 *
 * Without `hosts` the result is the single implicit host of `libvirt.uri` with the
 * environment's `pool` and `network.bridge`; its pool problems are `planCluster`'s to report.
 */
export function resolveHosts(
  environment: Environment,
  problems: PlanProblem[],
): { hosts: HostPlan[]; multiHost: boolean } {
  const { network } = environment;
  const bridgeMode = network.mode === "bridge";
  if (environment.hosts === undefined) {
    const pool = resolvePool(environment.pool, environment.prefix, ["pool"], []);
    return {
      hosts: [
        {
          name: SINGLE_HOST_NAME,
          uri: environment.libvirt.uri,
          pool,
          ...(bridgeMode && network.bridge !== undefined ? { bridge: network.bridge } : {}),
          position: 0,
          implicit: true,
        },
      ],
      multiHost: false,
    };
  }

  const entries = Object.entries(environment.hosts);
  if (entries.length === 0) {
    problems.push({
      code: "env-invalid",
      path: ["hosts"],
      message: "hosts is empty: an environment needs at least one host",
      fix: 'Name the libvirt hosts, e.g. hosts: { hv1: { uri: "qemu:///system" } }, or remove hosts to use libvirt.uri.',
    });
  }
  if (environment.libvirt.uri !== DEFAULT_LIBVIRT_URI) {
    problems.push({
      code: "env-invalid",
      path: ["libvirt", "uri"],
      message: `libvirt.uri (${environment.libvirt.uri}) and hosts are both set: with hosts, every host names its own URI`,
      fix: "Move the URI into the hosts entry it belongs to (hosts.<name>.uri) and remove libvirt.uri.",
    });
  }
  const multiHost = entries.length > 1;
  if (multiHost && !bridgeMode) {
    problems.push({
      code: "env-multi-host-nat",
      path: ["network", "mode"],
      message: `the environment spans ${entries.length} hosts, but network.mode is "nat": a libvirt NAT network exists on one host only, so nodes on different hosts could not reach each other`,
      fix:
        'Set network.mode to "bridge" and give every host the bridge its LAN interface is enslaved to ' +
        "(network.bridge, or hosts.<name>.bridge), all on one L2 segment; see docs/06-scale-out.md.",
    });
  }

  const byUri = new Map<string, string>();
  const hosts = entries.map(([name, host], position): HostPlan => {
    const normalized = normalizeLibvirtUri(host.uri);
    const first = byUri.get(normalized);
    if (first !== undefined) {
      problems.push({
        code: "env-host-duplicate",
        path: ["hosts", name, "uri"],
        message: `hosts ${first} and ${name} both connect to ${host.uri}: two entries for one libvirt daemon would place nodes "on two hosts" that die together`,
        fix: `Give ${name} the URI of another machine (e.g. qemu+ssh://user@${name}/system), or remove one of the two entries.`,
      });
    } else byUri.set(normalized, name);

    const pool = resolvePool(
      host.pool ?? environment.pool,
      environment.prefix,
      host.pool ? ["hosts", name, "pool"] : ["pool"],
      host.pool ? problems : [],
    );
    const bridge = host.bridge ?? network.bridge;
    if (bridgeMode && bridge === undefined) {
      problems.push({
        code: "env-invalid",
        path: ["hosts", name, "bridge"],
        message: `host ${name} has no bridge: bridge mode attaches every node to an existing host bridge`,
        fix: `Set hosts.${name}.bridge (or network.bridge for all hosts) to the bridge on ${name} (\`ip link show type bridge\`).`,
      });
    }
    return {
      name,
      uri: host.uri,
      pool,
      ...(bridgeMode && bridge !== undefined ? { bridge } : {}),
      position,
      implicit: false,
    };
  });
  return { hosts, multiHost };
}
