import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { config, dataSource, decoded, file, inlineMerge } from "../../test/ignition-diff/build.js";
import { decodeIgnition, MAX_MERGE_DEPTH, SUPPORTED_IGNITION_VERSIONS } from "./decode.js";
import type { IgnitionContents } from "./decoded.js";

const text = (contents: IgnitionContents | undefined): string | undefined =>
  contents?.kind === "inline" ? Buffer.from(contents.bytes).toString("utf8") : undefined;

describe("decodeIgnition: contents", () => {
  const sample = "line 1\nüñí©ødé: 100%\n#!/bin/sh\n";
  it.each([
    ["percent-encoded", "percent"],
    ["base64", "base64"],
    ["gzip + base64", "gzip"],
  ] as const)("decodes %s data URLs to the same bytes", (_name, encoding) => {
    const result = decoded(config({ storage: { files: [file("/etc/sample", sample, {}, encoding)] } }));
    expect(text(result.files.get("/etc/sample")?.contents)).toBe(sample);
  });

  it("keeps media type parameters out of the data and accepts unpadded base64", () => {
    const result = decoded(
      config({
        storage: {
          files: [
            { path: "/a", contents: { source: "data:text/plain;charset=utf-8,hello%20world" } },
            { path: "/b", contents: { source: "data:;base64,aGk" } },
          ],
        },
      }),
    );
    expect(text(result.files.get("/a")?.contents)).toBe("hello world");
    expect(text(result.files.get("/b")?.contents)).toBe("hi");
  });

  it("percent escapes decode to bytes, so non-UTF-8 contents stay binary", () => {
    const result = decoded(
      config({ storage: { files: [{ path: "/bin", contents: { source: "data:,%FF%00%FE" } }] } }),
    );
    const contents = result.files.get("/bin")?.contents;
    expect(contents?.kind === "inline" && [...contents.bytes]).toEqual([0xff, 0, 0xfe]);
  });

  it("reads metadata, remote sources with hash and headers, empty files and append fragments", () => {
    const result = decoded(
      config({
        storage: {
          files: [
            file("/etc/meta", "x", {
              mode: 0o600,
              user: { name: "core" },
              group: { id: 0 },
              overwrite: true,
            }),
            {
              path: "/opt/bin/k3s",
              mode: 0o755,
              contents: {
                source: "https://example.invalid/k3s",
                compression: "gzip",
                verification: { hash: `sha256-${"a".repeat(64)}` },
                httpHeaders: [{ name: "Authorization", value: "Bearer xyz" }],
              },
            },
            { path: "/etc/empty" },
            {
              path: "/etc/appended",
              append: [dataSource("one\n"), { source: "https://example.invalid/two" }],
            },
          ],
        },
      }),
    );
    expect(result.files.get("/etc/meta")).toMatchObject({
      mode: 0o600,
      user: { name: "core" },
      group: { id: 0 },
      overwrite: true,
      origin: "main",
    });
    const k3s = result.files.get("/opt/bin/k3s")?.contents;
    expect(k3s).toMatchObject({ kind: "remote", url: "https://example.invalid/k3s", compression: "gzip" });
    expect(k3s?.kind === "remote" && [...k3s.httpHeaders]).toEqual([["Authorization", "Bearer xyz"]]);
    expect(result.files.get("/etc/empty")?.contents).toEqual({ kind: "none" });
    const appended = result.files.get("/etc/appended");
    expect(appended?.append.map((c) => c.kind)).toEqual(["inline", "remote"]);
    expect(text(appended?.append[0])).toBe("one\n");
  });

  it("reads directories, links, units with drop-ins, users, groups, kernel arguments, storage and settings", () => {
    const result = decoded(
      config({
        ignition: { timeouts: { httpTotal: 30 }, proxy: { httpsProxy: "http://proxy:3128" } },
        storage: {
          directories: [{ path: "/var/lib/x", mode: 0o700 }],
          links: [{ path: "/opt/bin/kubectl", target: "/opt/bin/k3s", hard: false }],
          disks: [{ device: "/dev/vdb", wipeTable: true, partitions: [{ label: "data", number: 1 }] }],
          filesystems: [{ device: "/dev/vdb1", format: "ext4", path: "/var/data" }],
          luks: [{ name: "secure", device: "/dev/vdc" }],
          raid: [{ name: "md0", level: "raid1", devices: ["/dev/vdd", "/dev/vde"] }],
        },
        systemd: {
          units: [
            {
              name: "k3s.service",
              enabled: true,
              contents: "[Service]\nExecStart=/opt/bin/k3s server\n",
              dropins: [{ name: "10-limits.conf", contents: "[Service]\nLimitNOFILE=1\n" }],
            },
            { name: "locksmithd.service", mask: true },
          ],
        },
        passwd: {
          users: [
            {
              name: "core",
              sshAuthorizedKeys: ["ssh-ed25519 AAAA a", "ssh-ed25519 AAAA a"],
              groups: ["sudo"],
            },
          ],
          groups: [{ name: "homelab", gid: 1500 }],
        },
        kernelArguments: { shouldExist: ["quiet"], shouldNotExist: ["flatcar.autologin"] },
      }),
    );
    expect(result.directories.get("/var/lib/x")).toMatchObject({ mode: 0o700 });
    expect(result.links.get("/opt/bin/kubectl")).toMatchObject({ target: "/opt/bin/k3s", hard: false });
    const unit = result.units.get("k3s.service");
    expect(unit).toMatchObject({ enabled: true, contents: "[Service]\nExecStart=/opt/bin/k3s server\n" });
    expect(unit?.dropins.get("10-limits.conf")?.contents).toBe("[Service]\nLimitNOFILE=1\n");
    expect(result.units.get("locksmithd.service")).toMatchObject({ mask: true });
    expect(result.users.get("core")?.sshAuthorizedKeys).toEqual(["ssh-ed25519 AAAA a"]);
    expect(result.groups.get("homelab")?.gid).toBe(1500);
    expect(result.kernelArguments).toEqual({ shouldExist: ["quiet"], shouldNotExist: ["flatcar.autologin"] });
    expect([...result.storage.keys()]).toEqual([
      "disk /dev/vdb",
      "filesystem /dev/vdb1",
      "luks secure",
      "raid md0",
    ]);
    expect(result.storage.get("disk /dev/vdb")?.fields.get("partitions")).toBe(
      '[{"label":"data","number":1}]',
    );
    expect([...result.settings]).toEqual([
      ["timeouts.httpTotal", "30"],
      ["proxy.httpsProxy", '"http://proxy:3128"'],
    ]);
  });

  it.each(SUPPORTED_IGNITION_VERSIONS)("accepts spec %s", (version) => {
    expect(decoded(config({}, version)).version).toBe(version);
  });

  it("treats null as unset, as Ignition's nil pointers", () => {
    const result = decoded(
      config({ storage: { files: [{ path: "/x", mode: null, contents: null, user: null }] } }),
    );
    expect(result.files.get("/x")).toEqual({
      path: "/x",
      origin: "main",
      contents: { kind: "none" },
      append: [],
    });
  });
});

describe("decodeIgnition: merged and replacement configs", () => {
  it("decodes inline merges recursively, merging as Ignition does, and names their origin", () => {
    const grandchild = config({ storage: { files: [file("/etc/deep", "deep\n")] } });
    const child = config({
      ignition: { config: { merge: [inlineMerge(grandchild)] } },
      storage: {
        files: [
          // Overrides only the mode: the parent's contents stay.
          { path: "/etc/shared", mode: 0o600 },
          file("/etc/snippet.conf", "from the snippet\n"),
          { path: "/etc/appended", append: [dataSource("child\n")] },
        ],
        links: [{ path: "/etc/replaced-by-link", target: "/etc/shared" }],
      },
      systemd: { units: [{ name: "snippet.service", enabled: true, contents: "[Unit]\n" }] },
      passwd: { users: [{ name: "core", sshAuthorizedKeys: ["ssh-ed25519 BBBB b", "ssh-ed25519 AAAA a"] }] },
      kernelArguments: { shouldNotExist: ["quiet"] },
    });
    const parent = config({
      ignition: { config: { merge: [inlineMerge(child, "gzip")] } },
      storage: {
        files: [
          file("/etc/shared", "parent text\n", { mode: 0o644 }),
          file("/etc/replaced-by-link", "gone\n"),
          { path: "/etc/appended", append: [dataSource("parent\n")] },
        ],
      },
      passwd: { users: [{ name: "core", sshAuthorizedKeys: ["ssh-ed25519 AAAA a"] }] },
      kernelArguments: { shouldExist: ["quiet"] },
    });
    const result = decoded(parent);
    expect(result.files.get("/etc/shared")).toMatchObject({ mode: 0o600, origin: "merged config 1" });
    expect(text(result.files.get("/etc/shared")?.contents)).toBe("parent text\n");
    expect(result.files.get("/etc/snippet.conf")?.origin).toBe("merged config 1");
    expect(result.files.get("/etc/deep")?.origin).toBe("merged config 1.1");
    expect(result.files.has("/etc/replaced-by-link")).toBe(false);
    expect(result.links.get("/etc/replaced-by-link")?.target).toBe("/etc/shared");
    expect(result.files.get("/etc/appended")?.append.map(text)).toEqual(["parent\n", "child\n"]);
    expect(result.units.get("snippet.service")?.origin).toBe("merged config 1");
    expect(result.users.get("core")?.sshAuthorizedKeys).toEqual(["ssh-ed25519 AAAA a", "ssh-ed25519 BBBB b"]);
    expect(result.kernelArguments).toEqual({ shouldExist: [], shouldNotExist: ["quiet"] });
  });

  it("an inline replacement config takes the place of the whole config", () => {
    const replacement = config({ storage: { files: [file("/etc/instead", "instead\n")] } });
    const result = decoded(
      config({
        ignition: { config: { replace: inlineMerge(replacement, "base64") } },
        storage: { files: [file("/etc/ignored", "ignored\n")] },
      }),
    );
    expect([...result.files.keys()]).toEqual(["/etc/instead"]);
    expect(result.files.get("/etc/instead")?.origin).toBe("replacement config");
  });

  it("keeps remote merge and replace configs as references (the library never fetches)", () => {
    const result = decoded(
      config({
        ignition: {
          config: {
            merge: [{ source: "https://example.invalid/extra.ign", verification: { hash: "sha512-00" } }],
            replace: { source: "s3://bucket/config.ign" },
          },
        },
      }),
    );
    expect([...result.configReferences.keys()]).toEqual([
      "replace s3://bucket/config.ign",
      "merge https://example.invalid/extra.ign",
    ]);
    expect(result.configReferences.get("merge https://example.invalid/extra.ign")?.contents.hash).toBe(
      "sha512-00",
    );
  });
});

describe("decodeIgnition: malformed input is a located error, never an exception", () => {
  const nest = (depth: number): Record<string, unknown> =>
    depth === 0 ? config() : config({ ignition: { config: { merge: [inlineMerge(nest(depth - 1))] } } });
  const bad = (files: unknown[]) => JSON.stringify(config({ storage: { files } }));
  const cases: [string, string, string, string][] = [
    ["not JSON", "{ignition", "invalid-json", "$"],
    ["a list", "[]", "invalid-field", "$"],
    ["no ignition section", "{}", "unsupported-version", "$.ignition"],
    [
      "spec 2.2.0",
      JSON.stringify({ ignition: { version: "2.2.0" } }),
      "unsupported-version",
      "$.ignition.version",
    ],
    [
      "spec 3.6.0-experimental",
      JSON.stringify({ ignition: { version: "3.6.0-experimental" } }),
      "unsupported-version",
      "$.ignition.version",
    ],
    ["version a number", JSON.stringify({ ignition: { version: 3 } }), "invalid-field", "$.ignition.version"],
    [
      "files not a list",
      JSON.stringify(config({ storage: { files: {} } })),
      "invalid-field",
      "$.storage.files",
    ],
    ["mode a string", bad([{ path: "/x", mode: "0644" }]), "invalid-field", "$.storage.files[0].mode"],
    ["mode a fraction", bad([{ path: "/x", mode: 1.5 }]), "invalid-field", "$.storage.files[0].mode"],
    ["file without path", bad([{ mode: 420 }]), "invalid-field", "$.storage.files[0].path"],
    [
      "bad base64",
      bad([{ path: "/x", contents: { source: "data:;base64,@@@" } }]),
      "invalid-contents",
      "$.storage.files[0].contents.source",
    ],
    [
      "bad percent escape",
      bad([{ path: "/x", contents: { source: "data:,100%" } }]),
      "invalid-contents",
      "$.storage.files[0].contents.source",
    ],
    [
      "data URL without comma",
      bad([{ path: "/x", contents: { source: "data:text/plain" } }]),
      "invalid-contents",
      "$.storage.files[0].contents.source",
    ],
    [
      "gzip that is not gzip",
      bad([{ path: "/x", contents: { source: "data:,plain", compression: "gzip" } }]),
      "invalid-contents",
      "$.storage.files[0].contents.compression",
    ],
    [
      "unknown compression",
      bad([{ path: "/x", contents: { source: "data:,plain", compression: "zstd" } }]),
      "invalid-contents",
      "$.storage.files[0].contents.compression",
    ],
    [
      "a remote source that is no URL",
      bad([{ path: "/x", contents: { source: "not a url" } }]),
      "invalid-contents",
      "$.storage.files[0].contents.source",
    ],
    [
      "a path declared as file and link",
      JSON.stringify(config({ storage: { files: [{ path: "/x" }], links: [{ path: "/x", target: "/y" }] } })),
      "invalid-field",
      "$.storage.links[0]",
    ],
    [
      "a unit declared twice",
      JSON.stringify(config({ systemd: { units: [{ name: "a.service" }, { name: "a.service" }] } })),
      "invalid-field",
      "$.systemd.units[1]",
    ],
    [
      "a kernel argument in both lists",
      JSON.stringify(config({ kernelArguments: { shouldExist: ["a"], shouldNotExist: ["a"] } })),
      "invalid-field",
      "$.kernelArguments.shouldNotExist",
    ],
    [
      "a merged config that is not JSON",
      JSON.stringify(config({ ignition: { config: { merge: [dataSource("{")] } } })),
      "invalid-json",
      "$.ignition.config.merge[0] → $",
    ],
    [
      "a bad field inside a merged config",
      JSON.stringify(
        config({
          ignition: {
            config: { merge: [inlineMerge(config({ storage: { files: [{ path: "/x", mode: "x" }] } }))] },
          },
        }),
      ),
      "invalid-field",
      "$.ignition.config.merge[0] → $.storage.files[0].mode",
    ],
    [
      "a merge entry without source",
      JSON.stringify(config({ ignition: { config: { merge: [{}] } } })),
      "invalid-field",
      "$.ignition.config.merge[0].source",
    ],
    [
      `merges nested deeper than ${MAX_MERGE_DEPTH}`,
      JSON.stringify(nest(MAX_MERGE_DEPTH + 2)),
      "too-deep",
      "(inside the nested merges)",
    ],
  ];

  it.each(cases)("%s", (_name, input, kind, path) => {
    const result = decodeIgnition(input);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.kind).toBe(kind);
    if (kind === "too-deep") expect(result.error.path).toMatch(/^\$\.ignition\.config\.merge\[0\] → /);
    else expect(result.error.path).toBe(path);
    expect(result.error.message.length).toBeGreaterThan(5);
  });

  it("refuses a gzip bomb instead of inflating it", () => {
    const bomb = gzipSync(Buffer.alloc(80 * 1024 * 1024));
    const input = JSON.stringify(
      config({
        storage: {
          files: [
            {
              path: "/x",
              contents: { source: `data:;base64,${bomb.toString("base64")}`, compression: "gzip" },
            },
          ],
        },
      }),
    );
    const result = decodeIgnition(input);
    expect(result.ok === false && result.error.message).toMatch(/expands beyond 64 MiB/);
  });
});
