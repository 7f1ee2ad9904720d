import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  decodeIgnition,
  diffIgnition,
  formatIgnitionDiff,
  IGNITION_DIFF_CATEGORIES,
  type IgnitionDiff,
  isEmptyIgnitionDiff,
  summarizeIgnitionDiff,
  toJson,
} from "../../src/ignition-diff/index.js";
import { config, type DataEncoding, dataSource, decoded, type IgnitionJson, inlineMerge } from "./build.js";

/**
 * Properties over random Ignition configs: a config compared with itself has no difference;
 * swapping the sides swaps added and removed; a secret planted anywhere never reaches an output;
 * and no input, however broken, makes the decoder throw.
 */

const PATHS = [
  "/etc/a.conf",
  "/etc/b",
  "/opt/bin/tool",
  "/etc/rancher/k3s/config.yaml",
  "/var/lib/x/y.yaml",
  "/etc/c",
];
const line = fc.oneof(
  fc.constantFrom("key: value", "[Service]", "ExecStart=/bin/true", "", "# comment", "token: abc"),
  fc.string({ maxLength: 20 }).map((s) => s.replace(/\n/g, " ")),
);
const text = fc
  .array(line, { maxLength: 8 })
  .map((lines) => lines.join("\n") + (lines.length > 0 ? "\n" : ""));
const contents = fc.oneof(
  { weight: 4, arbitrary: text },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 16 }) },
);
const encoding = fc.constantFrom<DataEncoding>("percent", "base64", "gzip");

const node = fc.oneof(
  fc.record({
    kind: fc.constant("file" as const),
    contents: fc.option(contents, { nil: undefined }),
    encoding,
    mode: fc.option(fc.constantFrom(0o644, 0o600, 0o755), { nil: undefined }),
    overwrite: fc.option(fc.boolean(), { nil: undefined }),
    append: fc.array(text, { maxLength: 2 }),
  }),
  fc.record({ kind: fc.constant("link" as const), target: fc.constantFrom("/opt/bin/k3s", "/etc/a.conf") }),
  fc.record({ kind: fc.constant("directory" as const), mode: fc.constantFrom(0o755, 0o700) }),
);

const unit = fc.record({
  enabled: fc.option(fc.boolean(), { nil: undefined }),
  mask: fc.option(fc.boolean(), { nil: undefined }),
  contents: fc.option(text, { nil: undefined }),
  dropins: fc.dictionary(fc.constantFrom("10-a.conf", "20-b.conf"), text, { maxKeys: 2 }),
});

const KEYS = [
  "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHU/SctF+x0sQCFzh0yuB5z9D6OZk2qy06PkThd7IOxE a",
  "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBbVuAmQ0Jx0u9cWcYkL8qnmIpL0KjFbGsJj2m4vWmSd b",
  "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 c",
];

const sections = fc.record({
  nodes: fc.dictionary(fc.constantFrom(...PATHS), node, { maxKeys: 5 }),
  units: fc.dictionary(fc.constantFrom("k3s.service", "a.service", "b.timer"), unit, { maxKeys: 3 }),
  keys: fc.subarray(KEYS),
  shell: fc.option(fc.constantFrom("/bin/bash", "/bin/sh"), { nil: undefined }),
  kargs: fc.dictionary(fc.constantFrom("quiet", "flatcar.autologin", "console=ttyS0"), fc.boolean(), {
    maxKeys: 3,
  }),
});

type Sections = typeof sections extends fc.Arbitrary<infer T> ? T : never;

function toIgnition(s: Sections): IgnitionJson {
  const files: IgnitionJson[] = [];
  const links: IgnitionJson[] = [];
  const directories: IgnitionJson[] = [];
  for (const [path, entry] of Object.entries(s.nodes)) {
    if (entry.kind === "file") {
      files.push({
        path,
        // Butane always writes `compression` (a merged config's contents would inherit the
        // parent's "gzip" otherwise, as Ignition's merge does, and be invalid).
        ...(entry.contents === undefined
          ? {}
          : { contents: { compression: "", ...dataSource(entry.contents, entry.encoding) } }),
        ...(entry.mode === undefined ? {} : { mode: entry.mode }),
        ...(entry.overwrite === undefined ? {} : { overwrite: entry.overwrite }),
        ...(entry.append.length === 0
          ? {}
          : { append: entry.append.map((fragment) => dataSource(fragment)) }),
      });
    } else if (entry.kind === "link") links.push({ path, target: entry.target });
    else directories.push({ path, mode: entry.mode });
  }
  const units = Object.entries(s.units).map(([name, u]) => ({
    name,
    ...(u.enabled === undefined ? {} : { enabled: u.enabled }),
    ...(u.mask === undefined ? {} : { mask: u.mask }),
    ...(u.contents === undefined ? {} : { contents: u.contents }),
    dropins: Object.entries(u.dropins).map(([dropin, contents]) => ({ name: dropin, contents })),
  }));
  const kargs = Object.entries(s.kargs);
  return config({
    storage: { files, links, directories },
    systemd: { units },
    passwd: { users: [{ name: "core", sshAuthorizedKeys: s.keys, ...(s.shell ? { shell: s.shell } : {}) }] },
    kernelArguments: {
      shouldExist: kargs.filter(([, exists]) => exists).map(([arg]) => arg),
      shouldNotExist: kargs.filter(([, exists]) => !exists).map(([arg]) => arg),
    },
  });
}

/** A config, sometimes split into a main config and an inline merged one. */
const ignition = fc.tuple(sections, fc.option(sections, { nil: undefined })).map(([main, merged]) => {
  const base = toIgnition(main);
  if (merged === undefined) return base;
  return {
    ...base,
    ignition: { version: "3.3.0", config: { merge: [inlineMerge(toIgnition(merged), "gzip")] } },
  };
});

const keysOf = (diff: IgnitionDiff, status: "added" | "removed" | "changed") =>
  Object.fromEntries(
    IGNITION_DIFF_CATEGORIES.map((category) => [category, diff[category][status].map((e) => e.key)]),
  );

describe("properties of diffIgnition", () => {
  it("a config compared with itself has no difference", () => {
    fc.assert(
      fc.property(ignition, (value) => {
        const view = decoded(value);
        const diff = diffIgnition(view, view);
        expect(isEmptyIgnitionDiff(diff)).toBe(true);
        expect(summarizeIgnitionDiff(diff)).toBe("no Ignition change");
        // Decoding twice gives an equal view, so the same text always diffs as empty.
        expect(isEmptyIgnitionDiff(diffIgnition(view, decoded(JSON.stringify(value))))).toBe(true);
      }),
      { numRuns: 150 },
    );
  });

  it("swapping the sides swaps added and removed, and changes the same entries", () => {
    fc.assert(
      fc.property(ignition, ignition, (a, b) => {
        const forward = diffIgnition(decoded(a), decoded(b));
        const backward = diffIgnition(decoded(b), decoded(a));
        expect(keysOf(forward, "added")).toEqual(keysOf(backward, "removed"));
        expect(keysOf(forward, "removed")).toEqual(keysOf(backward, "added"));
        expect(keysOf(forward, "changed")).toEqual(keysOf(backward, "changed"));
        for (const category of IGNITION_DIFF_CATEGORIES) {
          const sorted = [...forward[category].changed.map((e) => e.key)];
          expect(sorted).toEqual([...sorted].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0)));
        }
      }),
      { numRuns: 150 },
    );
  });

  it("the diff is empty exactly when the decoded views are equal (no change goes unnoticed)", () => {
    const viewKey = (value: unknown): string =>
      JSON.stringify(value, (_key, item: unknown) => {
        if (item instanceof Map) return [...item].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
        if (item instanceof Uint8Array) return Buffer.from(item).toString("hex");
        return item;
      });
    fc.assert(
      fc.property(ignition, ignition, (a, b) => {
        const x = decoded(a);
        const y = decoded(b);
        expect(isEmptyIgnitionDiff(diffIgnition(x, y))).toBe(viewKey(x) === viewKey(y));
      }),
      { numRuns: 150 },
    );
  });

  it("the output is deterministic", () => {
    fc.assert(
      fc.property(ignition, ignition, (a, b) => {
        const once = JSON.stringify(toJson(diffIgnition(decoded(a), decoded(b))));
        const twice = JSON.stringify(toJson(diffIgnition(decoded(a), decoded(b))));
        expect(twice).toBe(once);
      }),
      { numRuns: 50 },
    );
  });
});

/** Where a secret can be planted in a config. */
const PLACES = [
  "file text",
  "file path",
  "append",
  "unit",
  "drop-in",
  "link target",
  "kernel argument",
  "ssh key comment",
  "gecos",
  "remote URL",
  "k3s token",
  "merged config",
] as const;

function plant(
  value: IgnitionJson,
  place: (typeof PLACES)[number],
  secret: string,
  at: number,
): IgnitionJson {
  const cfg = structuredClone(value) as {
    storage: { files: IgnitionJson[]; links: IgnitionJson[] };
    systemd: { units: IgnitionJson[] };
    passwd: { users: IgnitionJson[] };
    kernelArguments: { shouldExist: string[] };
  } & IgnitionJson;
  const inText = (base: string) =>
    `${base.slice(0, at % (base.length + 1))}${secret}${base.slice(at % (base.length + 1))}\n`;
  switch (place) {
    case "file text":
      cfg.storage.files.push({
        path: "/etc/planted",
        contents: dataSource(inText("some text around it"), "gzip"),
      });
      break;
    case "file path":
      cfg.storage.files.push({ path: `/etc/${secret}`, contents: dataSource("x") });
      break;
    case "append":
      cfg.storage.files.push({ path: "/etc/appended-secret", append: [dataSource(inText("appended"))] });
      break;
    case "unit":
      cfg.systemd.units.push({ name: "planted.service", contents: inText("[Service]\nExecStart=/bin/x ") });
      break;
    case "drop-in":
      cfg.systemd.units.push({
        name: "planted.service",
        dropins: [{ name: "10-x.conf", contents: inText("Environment=") }],
      });
      break;
    case "link target":
      cfg.storage.links.push({ path: "/etc/planted-link", target: `/opt/${secret}` });
      break;
    case "kernel argument":
      cfg.kernelArguments.shouldExist.push(`x=${secret}`);
      break;
    case "ssh key comment":
      cfg.passwd.users.push({ name: "planted", sshAuthorizedKeys: [`${KEYS[0]!.slice(0, -2)} ${secret}`] });
      break;
    case "gecos":
      cfg.passwd.users.push({ name: "planted", gecos: secret });
      break;
    case "remote URL":
      cfg.storage.files.push({
        path: "/etc/remote",
        contents: { source: `https://example.invalid/${secret}?k=${secret}` },
      });
      break;
    case "k3s token":
      cfg.storage.files.push({
        path: "/etc/rancher/k3s/config.yaml.d/90-planted.yaml",
        contents: dataSource(`node-label: [a=b]\ntoken: ${secret}\n`),
      });
      break;
    case "merged config":
      return {
        ...cfg,
        ignition: {
          version: "3.3.0",
          config: {
            merge: [
              inlineMerge(
                config({ storage: { files: [{ path: "/etc/m", contents: dataSource(inText("m")) }] } }),
              ),
            ],
          },
        },
      };
  }
  return cfg;
}

const secretValue = fc
  .stringMatching(/^[A-Za-z0-9+/=_-]{16,40}$/)
  .filter((s) => /[0-9]/.test(s) && /[A-Za-z]/.test(s))
  .map((s) => `S${s}`);

describe("masking holds for random secrets planted in random places", () => {
  it("no output form contains the secret, on either side of the diff", () => {
    fc.assert(
      fc.property(
        ignition,
        ignition,
        fc.constantFrom(...PLACES),
        secretValue,
        secretValue,
        fc.nat(),
        (a, b, place, oldSecret, newSecret, at) => {
          const before = plant(a, place, oldSecret, at);
          const after = plant(b, place, newSecret, at + 3);
          for (const [x, y] of [
            [before, after],
            [after, before],
            [a, after],
          ] as const) {
            const diff = diffIgnition(decoded(x), decoded(y), { secrets: [oldSecret, newSecret] });
            const outputs = [
              formatIgnitionDiff(diff),
              formatIgnitionDiff(diff, { color: true, width: 50, maxLinesPerFile: 3 }),
              summarizeIgnitionDiff(diff),
              JSON.stringify(toJson(diff)),
            ];
            for (const output of outputs) {
              for (const secret of [oldSecret, newSecret]) {
                expect(output.includes(secret), `${place}: ${output}`).toBe(false);
                expect(output.includes(secret.slice(0, 14)), `${place} (prefix): ${output}`).toBe(false);
              }
            }
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("decodeIgnition never throws", () => {
  it("on any JSON value", () => {
    fc.assert(
      fc.property(fc.json(), (input) => {
        const result = decodeIgnition(input);
        expect(typeof result.ok).toBe("boolean");
      }),
      { numRuns: 300 },
    );
  });

  it("on configs with a field replaced by any value, or cut short", () => {
    fc.assert(
      fc.property(ignition, fc.jsonValue(), fc.nat(), fc.nat(), (value, replacement, pick, cut) => {
        const textual = JSON.stringify(value);
        const paths: (string | number)[][] = [];
        const walk = (node: unknown, path: (string | number)[]) => {
          paths.push(path);
          if (typeof node === "object" && node !== null) {
            for (const [key, child] of Object.entries(node))
              walk(child, [...path, Array.isArray(node) ? Number(key) : key]);
          }
        };
        walk(value, []);
        const target = paths[pick % paths.length]!;
        const mutated = structuredClone(value) as Record<string | number, unknown>;
        if (target.length > 0) {
          let parent: Record<string | number, unknown> = mutated;
          for (const key of target.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
          parent[target.at(-1)!] = replacement;
        }
        for (const input of [JSON.stringify(mutated), textual.slice(0, cut % (textual.length + 1))]) {
          const result = decodeIgnition(input);
          if (!result.ok) expect(result.error.path.startsWith("$")).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });
});
