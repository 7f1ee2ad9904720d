/**
 * The command line of `butane` 0.22 (internal/main.go), parsed the way spf13/pflag parses it:
 * interspersed flags, `--name=value` and `--name value`, bundled shorthands (`-sp`,
 * `-ofile`, `-s=false`), `--` to end flags, Go's ParseBool for boolean values, and pflag's
 * error messages. Only `--json` is homelab's own.
 */
export interface ButaneFlags {
  check: boolean;
  debug: boolean;
  filesDir?: string;
  help: boolean;
  input?: string;
  json: boolean;
  output?: string;
  pretty: boolean;
  raw: boolean;
  strict: boolean;
  version: boolean;
}

export interface ParsedFlags {
  readonly flags: ButaneFlags;
  readonly positionals: readonly string[];
  /** pflag's notices on stderr (deprecated flags), in order. */
  readonly notices: readonly string[];
}

/** A command line pflag refuses; the message is pflag's, printed before the usage. */
export class FlagError extends Error {}

type BoolName = "check" | "debug" | "help" | "json" | "pretty" | "raw" | "strict" | "version";
type StringName = "filesDir" | "input" | "output";

interface FlagSpec {
  readonly long: string;
  readonly short?: string;
  readonly key: BoolName | StringName;
  readonly kind: "bool" | "string";
  readonly usage: string;
  readonly hidden?: boolean;
  readonly deprecated?: string;
}

const FLAGS: readonly FlagSpec[] = [
  { long: "help", short: "h", key: "help", kind: "bool", usage: "show usage and exit" },
  { long: "version", short: "V", key: "version", kind: "bool", usage: "print the version and exit" },
  { long: "debug", short: "D", key: "debug", kind: "bool", usage: "log translations", hidden: true },
  { long: "check", short: "c", key: "check", kind: "bool", usage: "check config without producing output" },
  { long: "strict", short: "s", key: "strict", kind: "bool", usage: "fail on any warning" },
  { long: "pretty", short: "p", key: "pretty", kind: "bool", usage: "output formatted json" },
  {
    long: "raw",
    short: "r",
    key: "raw",
    kind: "bool",
    usage: "never wrap in a MachineConfig; force Ignition output",
  },
  {
    long: "input",
    key: "input",
    kind: "string",
    usage: "read from input file instead of stdin",
    hidden: true,
    deprecated: "specify filename directly on command line",
  },
  {
    long: "output",
    short: "o",
    key: "output",
    kind: "string",
    usage: "write to output file instead of stdout",
  },
  {
    long: "files-dir",
    short: "d",
    key: "filesDir",
    kind: "string",
    usage: "allow embedding local files from this directory",
  },
  {
    long: "json",
    key: "json",
    kind: "bool",
    usage: "print the result and diagnostics as one JSON object (homelab)",
  },
];

/** pflag's usage lines (PrintDefaults): sorted by name, hidden flags left out. */
export function usageLines(): string {
  const visible = FLAGS.filter((f) => !f.hidden).sort((a, b) => (a.long < b.long ? -1 : 1));
  const lefts = visible.map((f) => {
    const name = f.short ? `  -${f.short}, --${f.long}` : `      --${f.long}`;
    return f.kind === "string" ? `${name} string` : name;
  });
  const width = Math.max(...lefts.map((l) => l.length));
  return visible.map((f, i) => `${(lefts[i] ?? "").padEnd(width)}   ${f.usage}\n`).join("");
}

/** Go's strconv.ParseBool. */
function parseBool(value: string): boolean | undefined {
  if (["1", "t", "T", "TRUE", "true", "True"].includes(value)) return true;
  if (["0", "f", "F", "FALSE", "false", "False"].includes(value)) return false;
  return undefined;
}

function flagName(spec: FlagSpec): string {
  return spec.short ? `-${spec.short}, --${spec.long}` : `--${spec.long}`;
}

export function parseFlags(argv: readonly string[]): ParsedFlags {
  const flags: ButaneFlags = {
    check: false,
    debug: false,
    help: false,
    json: false,
    pretty: false,
    raw: false,
    strict: false,
    version: false,
  };
  const positionals: string[] = [];
  const notices: string[] = [];
  const set = (spec: FlagSpec, value: string | true): void => {
    if (spec.kind === "bool") {
      const parsed = value === true ? true : parseBool(value);
      if (parsed === undefined)
        throw new FlagError(
          `invalid argument "${value}" for "${flagName(spec)}" flag: strconv.ParseBool: parsing "${value}": invalid syntax`,
        );
      flags[spec.key as BoolName] = parsed;
    } else {
      flags[spec.key as StringName] = value as string;
    }
    if (spec.deprecated) notices.push(`Flag --${spec.long} has been deprecated, ${spec.deprecated}`);
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith("-") || arg === "-") {
      positionals.push(arg);
      continue;
    }
    if (arg.startsWith("--")) {
      const body = arg.slice(2);
      if (body.startsWith("-") || body.startsWith("=")) throw new FlagError(`bad flag syntax: ${arg}`);
      const eq = body.indexOf("=");
      const name = eq < 0 ? body : body.slice(0, eq);
      const spec = FLAGS.find((f) => f.long === name);
      if (!spec) throw new FlagError(`unknown flag: --${name}`);
      if (eq >= 0) set(spec, body.slice(eq + 1));
      else if (spec.kind === "bool") set(spec, true);
      else if (i + 1 < argv.length) set(spec, argv[++i] as string);
      else throw new FlagError(`flag needs an argument: --${name}`);
      continue;
    }
    // Shorthands: "-sp", "-ofile", "-o file", "-s=false".
    let rest = arg.slice(1);
    while (rest.length > 0) {
      const c = rest[0] as string;
      const spec = FLAGS.find((f) => f.short === c);
      if (!spec) throw new FlagError(`unknown shorthand flag: '${c}' in -${rest}`);
      if (rest.length > 2 && rest[1] === "=") {
        set(spec, rest.slice(2));
        rest = "";
      } else if (spec.kind === "bool") {
        set(spec, true);
        rest = rest.slice(1);
      } else if (rest.length > 1) {
        set(spec, rest.slice(1));
        rest = "";
      } else if (i + 1 < argv.length) {
        set(spec, argv[++i] as string);
        rest = "";
      } else {
        throw new FlagError(`flag needs an argument: '${c}' in -${c}`);
      }
    }
  }
  return { flags, positionals, notices };
}
