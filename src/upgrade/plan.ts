import type { Environment } from "../environment/schema.js";
import { HomelabError, type SourceLocation } from "../errors/index.js";
import type { RunningNode } from "./running.js";
import {
  compareFlatcar,
  compareK3s,
  type K3sVersion,
  minorOf,
  parseFlatcarVersion,
  parseK3sVersion,
} from "./versions.js";

/**
 * What `homelab upgrade` changes, decided before anything is downloaded or touched: the k3s and
 * Flatcar versions to lock, whether the roll goes servers first, and every refusal.
 *
 * k3s's version skew rules (facts: https://docs.k3s.io/upgrades/manual, "upgrade server nodes
 * first one at a time, then any agent nodes", and "ensure that your plan does not skip
 * intermediate minor versions"; https://kubernetes.io/releases/version-skew-policy/: HA
 * kube-apiservers within one minor version, kubelet never newer than kube-apiserver):
 *
 * - no node moves by more than one minor version: 1.33 → 1.35 is refused, naming 1.34;
 * - going back needs `--allow-downgrade` (and then agents go first, so that no kubelet is
 *   newer than an API server while the roll runs);
 * - an upgrade rolls servers before agents (`serversFirst`).
 *
 * Flatcar has no skew rules; only going back to an older release needs `--allow-downgrade`.
 * Pure: the caller reads the state and the lock, and verifies the new artifacts afterwards.
 */

export interface UpgradeRequest {
  /** `--k3s`: the k3s version to move to; default homelab's pin. */
  readonly k3s?: string;
  /** `--flatcar`: the Flatcar release (of the environment's channel) to move to; default homelab's pin. */
  readonly flatcar?: string;
  readonly allowDowngrade: boolean;
}

export interface UpgradeInputs {
  readonly environment: Environment;
  /** The environment file as the user types it, for error locations. */
  readonly environmentFile: string;
  /** The lock file as the user types it. */
  readonly lockFile: string;
  /** What the environment resolves to now (render's versions). */
  readonly current: { readonly k3s: string; readonly flatcar: string };
  /** The nodes that have a machine, with what they run (`runningNodes`). */
  readonly running: readonly RunningNode[];
  /** homelab's pins: the versions a bare `homelab upgrade` moves to, and k3s versions with known hashes. */
  readonly pins: {
    readonly k3s: string;
    readonly flatcar: string | undefined;
    readonly knownK3s: readonly string[];
  };
  readonly request: UpgradeRequest;
}

export type Direction = "upgrade" | "downgrade" | "none";

export interface ComponentChange {
  readonly from: string;
  readonly to: string;
  /** `upgrade` also when the lock already says `to` but a node still runs an older version. */
  readonly direction: Direction;
}

export interface UpgradePlan {
  readonly k3s: ComponentChange;
  readonly flatcar: ComponentChange;
  /** Roll servers before agents: a k3s upgrade. */
  readonly serversFirst: boolean;
  /** Things the user should hear: a pin that is kept, a version already locked. */
  readonly notes: readonly string[];
}

export function planUpgrade(inputs: UpgradeInputs): UpgradePlan {
  const notes: string[] = [];
  const k3s = planK3s(inputs, notes);
  const flatcar = planFlatcar(inputs, notes);
  return { k3s, flatcar, serversFirst: k3s.direction === "upgrade", notes };
}

function lockPath(inputs: UpgradeInputs, field: "k3s" | "flatcar"): SourceLocation {
  return { file: inputs.lockFile, path: `environments.${inputs.environment.name}.${field}.version` };
}

function planK3s(inputs: UpgradeInputs, notes: string[]): ComponentChange {
  const { environment, request, current } = inputs;
  const explicit = request.k3s !== undefined;
  const asked = request.k3s ?? inputs.pins.k3s;
  const wanted = keptVersion(inputs, k3sComponent(inputs), asked, explicit, notes) ?? asked;
  const target = parseK3sVersion(wanted);
  if (!target) {
    throw new HomelabError("upgrade-version-unknown", `${JSON.stringify(wanted)} is not a k3s version`, {
      fix: "Write a k3s release as it is tagged, e.g. --k3s v1.35.1+k3s1 (https://github.com/k3s-io/k3s/releases).",
    });
  }
  const from = parseK3sVersion(current.k3s);
  if (!from) throw new HomelabError("internal", `the current k3s version ${current.k3s} does not parse`);
  const known: { node: string; version: K3sVersion }[] = [{ node: "the lock file", version: from }];
  for (const node of inputs.running) {
    const version = node.k3s === undefined ? undefined : parseK3sVersion(node.k3s);
    if (version) known.push({ node: node.name, version });
  }
  const unknown = inputs.running.filter((node) => node.k3s === undefined);
  if (unknown.length > 0 && compareK3s(target, from) !== 0) {
    throw new HomelabError(
      "upgrade-roll-pending",
      `${unknown.map((n) => n.name).join(", ")} ${unknown.length === 1 ? "is" : "are"} still due for a rebuild, and homelab cannot tell which k3s ${unknown.length === 1 ? "it runs" : "they run"}`,
      {
        where: lockPath(inputs, "k3s"),
        fix: `Finish the roll first: \`homelab upgrade ${environment.name} --k3s ${current.k3s}\` resumes it (servers first); then upgrade further.`,
      },
    );
  }

  for (const { node, version } of known) {
    if (version.major !== target.major) {
      throw new HomelabError(
        "upgrade-skips-minor",
        `k3s ${target.text} is another major version than ${version.text} (${node})`,
        { where: lockPath(inputs, "k3s"), fix: "homelab upgrades between Kubernetes minor versions only." },
      );
    }
    const gap = target.minor - version.minor;
    if (Math.abs(gap) > 1) {
      const step = gap > 0 ? 1 : -1;
      const between: number[] = [];
      for (let minor = version.minor + step; minor !== target.minor; minor += step) between.push(minor);
      const first = `${target.major}.${between[0]}`;
      const suggestion = newestOfMinor(inputs.pins.knownK3s, target.major, between[0]!);
      throw new HomelabError(
        "upgrade-skips-minor",
        `k3s ${version.text} (${node}) → ${target.text} would skip Kubernetes ${skippedMinors(target.major, between)}`,
        {
          where: lockPath(inputs, "k3s"),
          fix:
            `Kubernetes moves one minor version at a time (docs.k3s.io/upgrades/manual): ${gap > 0 ? "upgrade" : "go back"} to ${first} first` +
            (suggestion
              ? `, e.g. \`homelab upgrade ${environment.name} --k3s ${suggestion}${gap < 0 ? " --allow-downgrade" : ""}\``
              : ` (its newest release: https://github.com/k3s-io/k3s/releases)`) +
            `, then to ${minorOf(target)}.`,
        },
      );
    }
  }

  const newest = known.reduce((a, b) => (compareK3s(b.version, a.version) > 0 ? b : a));
  const oldest = known.reduce((a, b) => (compareK3s(b.version, a.version) < 0 ? b : a));
  if (compareK3s(target, newest.version) < 0) {
    if (!request.allowDowngrade) {
      throw new HomelabError(
        "upgrade-downgrade",
        `k3s ${target.text} is older than ${newest.version.text} (${newest.node})`,
        {
          where: lockPath(inputs, "k3s"),
          fix: "Pass --allow-downgrade if you mean to go back (agents then roll before servers). Kubernetes' version skew policy covers upgrades only; where you can, restore an etcd snapshot taken before the upgrade instead (`homelab backup <env> --list`, `homelab restore <env> <snapshot>`).",
        },
      );
    }
    return { from: current.k3s, to: target.text, direction: "downgrade" };
  }
  // A node due for a rebuild whose version is unknown is taken to be behind (the lock already
  // says the target, or the refusal above would have stopped us): servers go first.
  if (compareK3s(target, oldest.version) > 0 || unknown.length > 0) {
    if (compareK3s(target, from) === 0)
      notes.push(`k3s ${target.text} is locked already; the nodes still on an older release roll to it`);
    return { from: current.k3s, to: target.text, direction: "upgrade" };
  }
  if (explicit || request.flatcar === undefined) notes.push(`k3s is at ${target.text} already`);
  return { from: current.k3s, to: target.text, direction: "none" };
}

/** What differs between k3s and Flatcar when deciding which version to keep. */
interface Component {
  readonly label: "k3s" | "Flatcar";
  readonly field: "k3s.version" | "flatcar.version";
  readonly what: "version" | "release";
  readonly pinned: string | undefined;
  readonly current: string;
  /** Whether `a` is older than `b`; undefined when either does not parse. */
  readonly older: (a: string, b: string) => boolean | undefined;
}

function k3sComponent(inputs: UpgradeInputs): Component {
  return {
    label: "k3s",
    field: "k3s.version",
    what: "version",
    pinned: inputs.environment.k3s.version,
    current: inputs.current.k3s,
    older: (a, b) => {
      const [x, y] = [parseK3sVersion(a), parseK3sVersion(b)];
      return x && y ? compareK3s(x, y) < 0 : undefined;
    },
  };
}

function flatcarComponent(inputs: UpgradeInputs): Component {
  return {
    label: "Flatcar",
    field: "flatcar.version",
    what: "release",
    pinned: inputs.environment.flatcar.version,
    current: inputs.current.flatcar,
    older: (a, b) => {
      const [x, y] = [parseFlatcarVersion(a), parseFlatcarVersion(b)];
      return x && y ? compareFlatcar(x, y) < 0 : undefined;
    },
  };
}

/**
 * The version to stay at instead of `asked`, when no version was asked for and `asked` (homelab's
 * pin) does not apply: the environment file pins its own, or the environment is newer already.
 * An explicit version that contradicts the environment file's pin is refused.
 */
function keptVersion(
  inputs: UpgradeInputs,
  component: Component,
  asked: string,
  explicit: boolean,
  notes: string[],
): string | undefined {
  const { label, field, pinned, current } = component;
  if (pinned !== undefined && pinned !== asked) {
    if (explicit) {
      throw new HomelabError(
        "upgrade-pinned",
        `${inputs.environmentFile} pins ${field} to ${pinned}; homelab upgrade changes only ${inputs.lockFile}`,
        {
          where: { file: inputs.environmentFile, path: field },
          fix: `Remove ${field} from ${inputs.environmentFile} (the lock file then holds the ${component.what}) and run the upgrade again, or change the pin there and run \`homelab lock ${inputs.environment.name} --update\` and \`homelab apply ${inputs.environment.name}\`.`,
        },
      );
    }
    notes.push(`${label} stays at ${pinned}: ${inputs.environmentFile} pins it (${field})`);
    return pinned;
  }
  if (!explicit && component.older(asked, current) === true) {
    notes.push(`${label} stays at ${current}: it is newer than homelab's pin ${asked}`);
    return current;
  }
  return undefined;
}

/** The newest of `versions` in Kubernetes `major.minor`, if homelab knows one. */
function newestOfMinor(versions: readonly string[], major: number, minor: number): string | undefined {
  return versions
    .map(parseK3sVersion)
    .filter((v): v is K3sVersion => v !== undefined && v.major === major && v.minor === minor)
    .sort(compareK3s)
    .at(-1)?.text;
}

function planFlatcar(inputs: UpgradeInputs, notes: string[]): ComponentChange {
  const { environment, request, current } = inputs;
  const explicit = request.flatcar !== undefined;
  const channel = environment.flatcar.channel;
  const asked = request.flatcar ?? inputs.pins.flatcar;
  if (asked === undefined)
    notes.push(`Flatcar stays at ${current.flatcar}: homelab pins no release for the ${channel} channel`);
  const wanted =
    asked === undefined
      ? current.flatcar
      : (keptVersion(inputs, flatcarComponent(inputs), asked, explicit, notes) ?? asked);
  const target = parseFlatcarVersion(wanted);
  if (!target) {
    throw new HomelabError("upgrade-version-unknown", `${JSON.stringify(wanted)} is not a Flatcar version`, {
      fix: `Write a Flatcar release of the ${channel} channel, e.g. --flatcar 4802.1.0 (https://www.flatcar.org/releases).`,
    });
  }
  const from = parseFlatcarVersion(current.flatcar);
  if (!from)
    throw new HomelabError("internal", `the current Flatcar version ${current.flatcar} does not parse`);
  const built = [
    { node: "the lock file", version: from },
    ...inputs.running.flatMap((node) => {
      const version = node.flatcar === undefined ? undefined : parseFlatcarVersion(node.flatcar);
      return version ? [{ node: node.name, version }] : [];
    }),
  ];
  const newest = built.reduce((a, b) => (compareFlatcar(b.version, a.version) > 0 ? b : a));
  const oldest = built.reduce((a, b) => (compareFlatcar(b.version, a.version) < 0 ? b : a));
  if (compareFlatcar(target, newest.version) < 0) {
    if (!request.allowDowngrade) {
      throw new HomelabError(
        "upgrade-downgrade",
        `Flatcar ${target.text} is older than ${newest.version.text} (${newest.node})`,
        {
          where: lockPath(inputs, "flatcar"),
          fix: "Pass --allow-downgrade if you mean to rebuild the nodes from the older release.",
        },
      );
    }
    return { from: current.flatcar, to: target.text, direction: "downgrade" };
  }
  if (compareFlatcar(target, oldest.version) > 0)
    return { from: current.flatcar, to: target.text, direction: "upgrade" };
  if (explicit || request.k3s === undefined) notes.push(`Flatcar is at ${target.text} already`);
  return { from: current.flatcar, to: target.text, direction: "none" };
}

/** "1.34, 1.35", or "1.35 to 1.98 (64 minor versions)" when listing them all would drown the message. */
function skippedMinors(major: number, minors: readonly number[]): string {
  if (minors.length <= 3) return minors.map((minor) => `${major}.${minor}`).join(", ");
  return `${major}.${minors[0]} to ${major}.${minors[minors.length - 1]} (${minors.length} minor versions)`;
}
