import fc from "fast-check";

/**
 * Mutated environments for the fuzz tests: a valid environment as a tree, a few mutations at
 * random places, and the tree written out as an environment file — JSON when it holds plain
 * data only, else JavaScript (`.mjs`, or `.ts` through jiti now and then) so that the values
 * JSON cannot hold (bigint, symbols, cycles, getters, `__proto__` literals …) are reachable.
 */

export type Special =
  | "bigint"
  | "symbol"
  | "function"
  | "NaN"
  | "Infinity"
  | "-Infinity"
  | "undefined"
  | "cycle"
  | "throwing-getter"
  | "exiting-getter"
  | "proto-literal"
  | "proto-from-json"
  | "date"
  | "map"
  | "promise"
  | "class-instance"
  | "throwing-proxy"
  | "revoked-proxy"
  | "sparse-array"
  | "huge-sparse-array"
  | "null-prototype"
  | "deep-object"
  | "deep-array"
  | "shared-fan-out";

export type FuzzNode =
  | { readonly t: "obj"; readonly entries: readonly (readonly [string, FuzzNode])[] }
  | { readonly t: "arr"; readonly items: readonly FuzzNode[] }
  | { readonly t: "lit"; readonly value: string | number | boolean | null }
  | { readonly t: "special"; readonly kind: Special };

export function fromValue(value: unknown): FuzzNode {
  if (Array.isArray(value)) return { t: "arr", items: value.map(fromValue) };
  if (value !== null && typeof value === "object")
    return { t: "obj", entries: Object.entries(value).map(([k, v]) => [k, fromValue(v)] as const) };
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean" || value === null)
    return { t: "lit", value };
  throw new Error(`not a base value: ${String(value)}`);
}

type Path = readonly (string | number)[];

/** Every path in the tree (containers too), for picking where to mutate. */
export function pathsOf(node: FuzzNode, prefix: Path = []): Path[] {
  const here: Path[] = [prefix];
  if (node.t === "obj") for (const [k, v] of node.entries) here.push(...pathsOf(v, [...prefix, k]));
  if (node.t === "arr") for (const [i, v] of node.items.entries()) here.push(...pathsOf(v, [...prefix, i]));
  return here;
}

export type Mutation =
  | { readonly op: "replace"; readonly at: number; readonly value: FuzzNode }
  | { readonly op: "add-key"; readonly at: number; readonly key: string; readonly value: FuzzNode }
  | { readonly op: "delete"; readonly at: number }
  /** Same kind, odd value: a string for a string, a number for a number (reaches the planner). */
  | { readonly op: "tweak"; readonly at: number; readonly text: string; readonly number: number }
  | { readonly op: "wrap"; readonly at: number; readonly depth: number; readonly inArray: boolean };

function update(
  node: FuzzNode,
  path: Path,
  change: (n: FuzzNode) => FuzzNode | undefined,
): FuzzNode | undefined {
  const [head, ...rest] = path;
  if (head === undefined) return change(node);
  if (node.t === "obj") {
    const entries: (readonly [string, FuzzNode])[] = [];
    for (const [k, v] of node.entries) {
      if (k !== head) entries.push([k, v]);
      else {
        const next = update(v, rest, change);
        if (next) entries.push([k, next]);
      }
    }
    return { t: "obj", entries };
  }
  if (node.t === "arr") {
    const items: FuzzNode[] = [];
    node.items.forEach((v, i) => {
      if (i !== head) items.push(v);
      else {
        const next = update(v, rest, change);
        if (next) items.push(next);
      }
    });
    return { t: "arr", items };
  }
  return node;
}

export function mutate(base: FuzzNode, mutations: readonly Mutation[]): FuzzNode {
  let tree = base;
  for (const mutation of mutations) {
    const paths = pathsOf(tree);
    const path = paths[mutation.at % paths.length] ?? [];
    const next = update(tree, path, (node) => {
      switch (mutation.op) {
        case "replace":
          return mutation.value;
        case "delete":
          return path.length === 0 ? node : undefined;
        case "tweak":
          if (node.t === "lit" && typeof node.value === "string") return { t: "lit", value: mutation.text };
          if (node.t === "lit" && typeof node.value === "number") return { t: "lit", value: mutation.number };
          if (node.t === "lit" && typeof node.value === "boolean") return { t: "lit", value: !node.value };
          if (node.t === "arr")
            return { t: "arr", items: [...node.items, ...node.items, { t: "lit", value: mutation.text }] };
          return node;
        case "add-key":
          return node.t === "obj"
            ? { t: "obj", entries: [...node.entries, [mutation.key, mutation.value]] }
            : node;
        case "wrap": {
          let wrapped = node;
          for (let i = 0; i < mutation.depth; i++)
            wrapped = mutation.inArray
              ? { t: "arr", items: [wrapped] }
              : { t: "obj", entries: [["x", wrapped]] };
          return wrapped;
        }
      }
    });
    if (next) tree = next;
  }
  return tree;
}

export function hasSpecial(node: FuzzNode): boolean {
  if (node.t === "special") return node.kind !== "proto-from-json";
  if (node.t === "obj") return node.entries.some(([, v]) => hasSpecial(v));
  if (node.t === "arr") return node.items.some(hasSpecial);
  return false;
}

const SPECIAL_CODE: Record<Special, string> = {
  bigint: "12345678901234567890n",
  symbol: 'Symbol("s")',
  function: "() => 1",
  NaN: "NaN",
  Infinity: "Infinity",
  "-Infinity": "-Infinity",
  undefined: "undefined",
  cycle: "(() => { const o = { a: 1 }; o.self = o; return o; })()",
  "throwing-getter": '({ get vcpu() { throw new Error("getter says no"); } })',
  "exiting-getter": "({ get vcpu() { process.exit(0); } })",
  "proto-literal": "({ __proto__: { vcpu: 2 }, memoryMiB: 2048 })",
  "proto-from-json": 'JSON.parse(\'{"__proto__": {"vcpu": 2}}\')',
  date: "new Date(0)",
  map: 'new Map([["a", 1]])',
  promise: "Promise.resolve(1)",
  "class-instance": "new (class Pool { count = 1; })()",
  "throwing-proxy": 'new Proxy({}, { ownKeys() { throw new Error("trap"); } })',
  "revoked-proxy": "(() => { const p = Proxy.revocable({}, {}); p.revoke(); return p.proxy; })()",
  "sparse-array": '["a", , "b"]',
  "huge-sparse-array": "new Array(2 ** 31)",
  "null-prototype": "Object.assign(Object.create(null), { count: 1 })",
  "deep-object": `${"{ x: ".repeat(200)}1${" }".repeat(200)}`,
  "deep-array": `${"[".repeat(500)}${"]".repeat(500)}`,
  "shared-fan-out": "(() => { let v = ['leaf']; for (let i = 0; i < 40; i++) v = [v, v]; return v; })()",
};

function jsString(text: string): string {
  return JSON.stringify(text);
}

/** JavaScript source for the tree (keys named `__proto__` written as own keys, `["__proto__"]`). */
export function toJs(node: FuzzNode): string {
  switch (node.t) {
    case "lit":
      return typeof node.value === "number" && Object.is(node.value, -0) ? "-0" : JSON.stringify(node.value);
    case "special":
      return SPECIAL_CODE[node.kind];
    case "arr":
      return `[${node.items.map(toJs).join(", ")}]`;
    case "obj":
      return `{ ${node.entries
        .map(([k, v]) => `${k === "__proto__" ? `[${jsString(k)}]` : jsString(k)}: ${toJs(v)}`)
        .join(", ")} }`;
  }
}

/** JSON text for a tree without specials (an own `"__proto__"` key stays, as JSON.parse keeps it). */
export function toJson(node: FuzzNode): string {
  switch (node.t) {
    case "lit":
      return JSON.stringify(node.value);
    case "special":
      return '{"__proto__": {"vcpu": 2}}';
    case "arr":
      return `[${node.items.map(toJson).join(",")}]`;
    case "obj":
      return `{${node.entries.map(([k, v]) => `${JSON.stringify(k)}:${toJson(v)}`).join(",")}}`;
  }
}

const WEIRD_KEYS = [
  "__proto__",
  "constructor",
  "prototype",
  "toString",
  "hasOwnProperty",
  "valueOf",
  "__defineGetter__",
  "",
  " ",
  "0",
  "-1",
  "a.b",
  "é",
  "🙂",
  "\ud800",
  "k".repeat(5000),
];

const oddNumber: fc.Arbitrary<number> = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(0, -0, 1, -1, 0.5, 7, 8, 9, 250, 251, 1_000_000, 1e9, 2 ** 53 + 2, 1e308, -1e308),
);

const oddText: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: "binary", maxLength: 30 }),
  fc.constantFrom(
    "",
    "2",
    "true",
    "null",
    "x".repeat(100_000),
    "é".repeat(200_000),
    "\u0000",
    "\ud800",
    "line\nbreak",
    "192.168.122.0/24",
    "10.42.0.0/16",
    "ssh-ed2519 AAAAC3NzaC1lZDI1NTE5AAAAIGbAYOHjlzmw0sJ me",
    "ssh-ed25519 AAAA",
    "/dev/zero",
    "~/.ssh/../../../etc/shadow",
    "variant: flatcar\nversion: 1.0.0\nstorage: { files: [{ path: /etc/x, contents: { inline: !!binary aGk= } }] }\n",
    "k3s-dev-agent-1",
    "v1.34.10+k3s1",
    "ssh://git@github.com/me/repo.git",
    "https://example.com/x.git",
    "4230.2.3",
    "9999.0.0",
    "Sun 04:00",
    "1h",
    "0644",
    "10.77.0.5",
    "192.168.140.1",
    "52:54:00:00:00:01",
    "dedicated=db:NoSchedule",
    "a=b",
    "br0",
    "/var/lib/libvirt/images",
    "lts",
    "qemu",
    "bridge",
    "off",
    "traefik",
    "wireguard-native",
  ),
);

const leaf: fc.Arbitrary<FuzzNode> = fc.oneof(
  fc
    .constantFrom<Special>(...(Object.keys(SPECIAL_CODE) as Special[]))
    .map((kind) => ({ t: "special", kind }) as const),
  oddNumber.map((value) => ({ t: "lit", value }) as const),
  oddText.map((value) => ({ t: "lit", value }) as const),
  fc.constantFrom(true, false, null).map((value) => ({ t: "lit", value }) as const),
);

export const fuzzValue: fc.Arbitrary<FuzzNode> = fc.letrec<{ value: FuzzNode }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    leaf,
    fc.array(tie("value"), { maxLength: 4 }).map((items) => ({ t: "arr", items }) as const),
    fc
      .array(fc.tuple(fc.oneof(fc.constantFrom(...WEIRD_KEYS), fc.string({ maxLength: 10 })), tie("value")), {
        maxLength: 4,
      })
      .map((entries) => ({ t: "obj", entries }) as const),
  ),
})).value;

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant("replace" as const), at: fc.nat(), value: fuzzValue }),
  fc.record({
    op: fc.constant("add-key" as const),
    at: fc.nat(),
    key: fc.oneof(fc.constantFrom(...WEIRD_KEYS), fc.string({ maxLength: 12 })),
    value: fuzzValue,
  }),
  fc.record({ op: fc.constant("delete" as const), at: fc.nat() }),
  fc.record({ op: fc.constant("tweak" as const), at: fc.nat(), text: oddText, number: oddNumber }),
  fc.record({ op: fc.constant("tweak" as const), at: fc.nat(), text: oddText, number: oddNumber }),
  fc.record({
    op: fc.constant("wrap" as const),
    at: fc.nat(),
    depth: fc.integer({ min: 1, max: 60 }),
    inArray: fc.boolean(),
  }),
);

export type FileFormat = "json" | "mjs" | "ts";

/**
 * Code around the value (JavaScript files only): what the issue's probes did to homelab when
 * environment files ran in its process — exit, print, hang, eat memory, pollute prototypes.
 */
export const STATEMENTS = {
  none: "",
  "exit-0": "process.exit(0);",
  "exit-later": "setTimeout(() => process.exit(0), 0);",
  "exit-code": "process.exitCode = 13;",
  log: 'console.log("{"type":"result"}");',
  "stderr-flood": 'process.stderr.write("x".repeat(1_000_000));',
  throw: 'throw new Error("from the environment");',
  "throw-string": 'throw "a string";',
  "throw-null": "throw null;",
  "unsettled-await": "await new Promise(() => {});",
  loop: "for (;;) {}",
  "heap-blow": "const hoard = []; for (;;) hoard.push(new Array(1e5).fill(hoard.length));",
  "stack-blow": "const f = () => f(); f();",
  "prototype-pollution":
    'Object.prototype.vcpu = 64; Object.prototype.polluted = "yes"; Array.prototype.push = () => 0;',
  "json-sabotage": "JSON.stringify = () => '{}'; JSON.parse = () => ({});",
  "kill-self": 'process.kill(process.pid, "SIGTERM");',
  "reject-later": 'Promise.reject(new Error("later"));',
  "read-state": 'import("node:fs").then((fs) => fs.readFileSync("/etc/passwd", "utf8"));',
} as const;

export type Statement = keyof typeof STATEMENTS;

/** How the value is exported. */
export type ExportForm = "default" | "named" | "default-and-named" | "async-default";

export interface FuzzCase {
  readonly base: number;
  readonly mutations: readonly Mutation[];
  readonly statement: Statement;
  readonly exportForm: ExportForm;
  /** Cut the file text at this fraction of its length (a syntax error, usually); 1 keeps it whole. */
  readonly cut: number;
  /** Mutate a sibling instead of the environment itself (which must then render). */
  readonly target: "self" | "sibling";
  /** Preferred format; a tree with JavaScript-only values is never written as JSON. */
  readonly format: FileFormat;
}

const rare = <T>(common: T, ...others: T[]): fc.Arbitrary<T> =>
  fc.oneof(
    { arbitrary: fc.constant(common), weight: 12 * others.length },
    ...others.map((o) => ({ arbitrary: fc.constant(o), weight: 1 })),
  );

/** Statements that end only at the evaluator's time or memory limit (seconds each). */
export const SLOW_STATEMENTS: readonly Statement[] = ["loop", "unsettled-await", "heap-blow"];

/**
 * A fuzz case. `statements: "often"` picks the code around the value uniformly (and leaves out
 * the slow ones), for the few runs that go through the CLI.
 */
export const fuzzCase = (bases: number, statements: "rare" | "often" = "rare"): fc.Arbitrary<FuzzCase> =>
  fc.record({
    base: fc.nat({ max: bases - 1 }),
    mutations: fc.array(mutation, { minLength: 0, maxLength: 3 }),
    statement:
      statements === "rare"
        ? rare<Statement>("none", ...(Object.keys(STATEMENTS).filter((k) => k !== "none") as Statement[]))
        : fc.constantFrom(
            ...(Object.keys(STATEMENTS) as Statement[]).filter((k) => !SLOW_STATEMENTS.includes(k)),
          ),
    exportForm: rare<ExportForm>("default", "named", "default-and-named", "async-default"),
    cut: fc.oneof(
      { arbitrary: fc.constant(1), weight: 20 },
      { arbitrary: fc.double({ min: 0, max: 1, noNaN: true }), weight: 1 },
    ),
    target: fc.constantFrom(
      "self",
      "self",
      "self",
      "self",
      "self",
      "self",
      "self",
      "self",
      "self",
      "sibling",
    ),
    format: fc.constantFrom<FileFormat>(
      "json",
      "json",
      "json",
      "json",
      "mjs",
      "mjs",
      "mjs",
      "mjs",
      "mjs",
      "ts",
    ),
  });

/** The file name and text of an environment in the wanted format, with its code around it. */
export function environmentFile(
  name: string,
  tree: FuzzNode,
  c: Pick<FuzzCase, "format" | "statement" | "exportForm" | "cut">,
): { file: string; text: string } {
  const plainJson = c.statement === "none" && c.exportForm === "default" && !hasSpecial(tree);
  const actual: FileFormat = c.format === "json" && !plainJson ? "mjs" : c.format;
  let text: string;
  if (actual === "json") text = `${toJson(tree)}\n`;
  else {
    const value = toJs(tree);
    const exported = {
      default: `export default ${value};`,
      named: `export const env = ${value};`,
      "default-and-named": `export const env = ${value};\nexport default env;`,
      "async-default": `export default await Promise.resolve(${value});`,
    }[c.exportForm];
    text = `${STATEMENTS[c.statement]}\n${exported}\n`;
  }
  if (c.cut < 1) text = text.slice(0, Math.floor(text.length * c.cut));
  return { file: `${name}.${actual}`, text };
}
