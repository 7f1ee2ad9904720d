import flagsV1_34 from "./flags-v1.34.10+k3s1.json" with { type: "json" };

/**
 * The config keys k3s accepts, per role. k3s turns every top-level key of
 * `/etc/rancher/k3s/config.yaml` into `--<key>=<value>`, so the flag list of `k3s server` and
 * `k3s agent` is the list of valid keys. The facts come from k3s's own flag definitions
 * (`pkg/cli/cmds`, see flags-v1.34.10+k3s1.json); the key list did not change across 1.34.x.
 *
 * Why it matters: `k3s server` drops an unknown key with a warning, but `k3s agent` passes it
 * to its flag parser and refuses to start — a server-only key such as `tls-san` on an agent
 * leaves that node out of the cluster.
 */

export type K3sRole = "server" | "agent";

interface FlagFacts {
  readonly type: "bool" | "string" | "int" | "duration" | "stringSlice";
  readonly repeatable: boolean;
  readonly aliases: readonly string[];
  readonly hidden: boolean;
  readonly deprecated: boolean;
  readonly experimental: boolean;
}

interface FlagsFile {
  readonly k3s: string;
  readonly server: Readonly<Record<string, FlagFacts>>;
  readonly agent: Readonly<Record<string, FlagFacts>>;
  readonly aliases: {
    readonly server: Readonly<Record<string, string>>;
    readonly agent: Readonly<Record<string, string>>;
  };
}

const FLAGS = flagsV1_34 as FlagsFile;

/** The k3s release the flag list was taken from. */
export const K3S_FLAGS_SOURCE_VERSION = FLAGS.k3s;

/** A value a config.yaml key may hold. */
export type K3sConfigValue = string | number | boolean | readonly string[];

export interface K3sKeyProblem {
  readonly key: string;
  readonly message: string;
}

/** The flag a config key names for a role (after removing one `+` suffix and resolving aliases). */
export function k3sFlagFor(role: K3sRole, key: string): { name: string; facts: FlagFacts } | undefined {
  const base = key.endsWith("+") ? key.slice(0, -1) : key;
  // Own properties only: a key such as `constructor` must not find Object.prototype's.
  const aliases = FLAGS.aliases[role];
  const name = Object.hasOwn(aliases, base) ? (aliases[base] ?? base) : base;
  const flags = FLAGS[role];
  const facts = Object.hasOwn(flags, name) ? flags[name] : undefined;
  return facts ? { name, facts } : undefined;
}

/** Whether a key is accepted by `k3s server` (used to explain why an agent key was refused). */
export function isServerOnlyKey(key: string): boolean {
  return k3sFlagFor("server", key) !== undefined && k3sFlagFor("agent", key) === undefined;
}

function describeType(facts: FlagFacts): string {
  switch (facts.type) {
    case "bool":
      return "true or false";
    case "int":
      return "an integer";
    case "duration":
      return 'a duration such as "30s"';
    case "string":
      return "a string";
    case "stringSlice":
      return "a string or a list of strings";
  }
}

function valueMatches(facts: FlagFacts, value: K3sConfigValue): boolean {
  if (Array.isArray(value)) return facts.repeatable;
  switch (facts.type) {
    case "bool":
      return typeof value === "boolean";
    case "int":
      return typeof value === "number" && Number.isInteger(value);
    case "duration":
      return typeof value === "string" && /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(value);
    case "string":
    case "stringSlice":
      return typeof value === "string" || typeof value === "number";
  }
}

/**
 * Checks config.yaml keys and values for a role, following the rules of the flag list: the key
 * (less one trailing `+`) must be a flag or alias of that role, a list only fits a repeatable
 * flag, and scalars must match the flag's type. Returns every problem, none when all is well.
 */
export function checkK3sConfig(
  role: K3sRole,
  config: Readonly<Record<string, K3sConfigValue>>,
): K3sKeyProblem[] {
  const problems: K3sKeyProblem[] = [];
  for (const [key, value] of Object.entries(config)) {
    const flag = k3sFlagFor(role, key);
    if (!flag) {
      const why =
        role === "agent" && isServerOnlyKey(key)
          ? `"${key}" is a server-only k3s option; \`k3s agent\` refuses to start with it`
          : `"${key}" is not a k3s ${role} option (k3s ${K3S_FLAGS_SOURCE_VERSION})`;
      problems.push({ key, message: why });
      continue;
    }
    if (!valueMatches(flag.facts, value)) {
      const expected = Array.isArray(value)
        ? `a single value: --${flag.name} cannot be repeated`
        : describeType(flag.facts);
      problems.push({ key, message: `"${key}" expects ${expected}` });
    }
  }
  return problems;
}
