/**
 * Where init would get dmacvicar/libvirt from, on scratch homes and state directories laid out
 * as OpenTofu and Terraform lay them out. Table-driven: each case builds files, then asks.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  CliConfigSyntaxError,
  describeAvailability,
  type ProviderInstallQuery,
  parseCliConfig,
  providerAvailability,
} from "../../src/provider-install/index.js";

const PROVIDER = { source: "dmacvicar/libvirt", version: "0.9.7" };
const TOFU_ADDRESS = "registry.opentofu.org/dmacvicar/libvirt";
const TERRAFORM_ADDRESS = "registry.terraform.io/dmacvicar/libvirt";

interface Scratch {
  readonly root: string;
  readonly home: string;
  query(overrides?: Partial<ProviderInstallQuery>): ProviderInstallQuery;
  file(path: string, text?: string): string;
  /** An unpacked package under `dir` (as `providers mirror` or init lays it out). */
  unpacked(dir: string, address?: string): string;
  /** The release zip under `dir` (packed mirror layout). */
  packed(dir: string, address?: string): string;
}

function scratch(): Scratch {
  const root = mkdtempSync(join(tmpdir(), "homelab-provider-"));
  const home = join(root, "home");
  mkdirSync(home);
  const file = (path: string, text = "x") => {
    const full = path.startsWith("/") ? path : join(root, path);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, text);
    return full;
  };
  return {
    root,
    home,
    file,
    query: (overrides = {}) => ({
      provider: PROVIDER,
      flavor: "tofu",
      platform: "linux_amd64",
      dataDir: join(root, "state", "tofu", "data"),
      dependencyLocks: [
        join(root, "render", ".terraform.lock.hcl"),
        join(root, "state", "tofu", ".terraform.lock.hcl"),
      ],
      workingDir: join(root, "render"),
      home,
      env: { HOME: home, XDG_DATA_DIRS: join(root, "usr-share") },
      ...overrides,
    }),
    unpacked: (dir, address = TOFU_ADDRESS) =>
      file(join(dir, address, "0.9.7", "linux_amd64", "terraform-provider-libvirt_v0.9.7")),
    packed: (dir, address = TOFU_ADDRESS) =>
      file(join(dir, address, "terraform-provider-libvirt_0.9.7_linux_amd64.zip")),
  };
}

const LOCK = `provider "${TOFU_ADDRESS}" {\n  version     = "0.9.7"\n  constraints = "0.9.7"\n  hashes = ["h1:x="]\n}\n`;

describe("providerAvailability", () => {
  it("says init will download it from the flavor's registry when it is nowhere", async () => {
    const s = scratch();
    const tofu = await providerAvailability(s.query());
    expect(tofu).toMatchObject({
      offline: false,
      noMethod: false,
      address: TOFU_ADDRESS,
      registry: "registry.opentofu.org",
    });
    expect(describeAvailability(tofu, "tofu")).toBe(
      "`tofu init` will download dmacvicar/libvirt 0.9.7 from registry.opentofu.org: it is not installed, not in a plugin cache and not in a filesystem mirror",
    );
    const terraform = await providerAvailability(s.query({ flavor: "terraform" }));
    expect(terraform).toMatchObject({
      offline: false,
      address: TERRAFORM_ADDRESS,
      registry: "registry.terraform.io",
    });
    expect(tofu.searched[0]).toContain(
      join(s.root, "state", "tofu", "data", "providers", TOFU_ADDRESS, "0.9.7"),
    );
  });

  const offlineCases: [string, (s: Scratch) => Partial<ProviderInstallQuery> | undefined, string, string][] =
    [
      [
        "installed in TF_DATA_DIR by an earlier init",
        (s) => void s.unpacked(join(s.root, "state", "tofu", "data", "providers")),
        "installed",
        `state/tofu/data/providers/${TOFU_ADDRESS}/0.9.7/linux_amd64`,
      ],
      [
        "in TF_PLUGIN_CACHE_DIR, pinned by the dependency lock copy",
        (s) => {
          s.unpacked(join(s.root, "cache"));
          s.file("state/tofu/.terraform.lock.hcl", LOCK);
          return { env: { HOME: s.home, TF_PLUGIN_CACHE_DIR: join(s.root, "cache") } };
        },
        "plugin-cache",
        "cache",
      ],
      [
        "in the plugin_cache_dir of ~/.tofurc ($HOME expanded), pinned by the rendered lock",
        (s) => {
          s.unpacked(join(s.home, ".terraform.d", "plugin-cache"));
          s.file(join(s.home, ".tofurc"), 'plugin_cache_dir = "$HOME/.terraform.d/plugin-cache"\n');
          s.file("render/.terraform.lock.hcl", LOCK);
          return undefined;
        },
        "plugin-cache",
        "home/.terraform.d/plugin-cache",
      ],
      [
        "in ~/.terraform.d/plugins as the release zip (implied mirror)",
        (s) => void s.packed(join(s.home, ".terraform.d", "plugins")),
        "implied-mirror",
        "home/.terraform.d/plugins",
      ],
      [
        "in $XDG_DATA_DIRS/opentofu/plugins (implied mirror, OpenTofu)",
        (s) => void s.unpacked(join(s.root, "usr-share", "opentofu", "plugins")),
        "implied-mirror",
        "usr-share/opentofu/plugins",
      ],
      [
        "in terraform.d/plugins of the working directory",
        (s) => void s.unpacked(join(s.root, "render", "terraform.d", "plugins")),
        "implied-mirror",
        "render/terraform.d/plugins",
      ],
      [
        "in the filesystem mirror of TF_CLI_CONFIG_FILE, the only method",
        (s) => {
          s.unpacked(join(s.root, "mirror"));
          const config = s.file(
            "offline.tfrc",
            `provider_installation {\n  filesystem_mirror {\n    path = "${join(s.root, "mirror")}"\n  }\n}\n`,
          );
          return { env: { HOME: s.home, TF_CLI_CONFIG_FILE: config } };
        },
        "filesystem-mirror",
        "mirror",
      ],
      [
        "in a filesystem mirror, with direct excluding it (the documented air-gap setup)",
        (s) => {
          s.packed(join(s.root, "mirror"));
          const config = s.file(
            "offline.tfrc",
            `provider_installation {\n  filesystem_mirror {\n    path    = "${join(s.root, "mirror")}"\n    include = ["dmacvicar/*"]\n  }\n  direct {\n    exclude = ["dmacvicar/*"]\n  }\n}\n`,
          );
          return { env: { HOME: s.home, TF_CLI_CONFIG_FILE: config } };
        },
        "filesystem-mirror",
        "mirror",
      ],
      [
        "in a filesystem mirror of a JSON CLI configuration",
        (s) => {
          s.unpacked(join(s.root, "mirror"));
          const config = s.file(
            "offline.tfrc.json",
            JSON.stringify({
              provider_installation: {
                filesystem_mirror: [{ path: join(s.root, "mirror"), include: ["*/*/*"] }],
              },
            }),
          );
          return { env: { HOME: s.home, TF_CLI_CONFIG_FILE: config } };
        },
        "filesystem-mirror",
        "mirror",
      ],
    ];
  it.each(offlineCases)("needs no registry when it is %s", async (_, arrange, kind, path) => {
    const s = scratch();
    const availability = await providerAvailability(s.query(arrange(s) ?? {}));
    expect(availability.offline).toBe(true);
    expect(availability.foundIn?.kind).toBe(kind);
    expect(availability.foundIn?.path).toBe(join(s.root, path));
    expect(describeAvailability(availability, "tofu")).toMatch(/: `tofu init` needs no registry$/);
  });

  const onlineCases: [
    string,
    (s: Scratch) => Partial<ProviderInstallQuery> | undefined,
    boolean,
    RegExp | undefined,
  ][] = [
    [
      "cached, but no dependency lock pins the version yet (init asks for the version list)",
      (s) => {
        s.unpacked(join(s.root, "cache"));
        return { env: { HOME: s.home, TF_PLUGIN_CACHE_DIR: join(s.root, "cache") } };
      },
      false,
      /holds the package, but no dependency lock pins 0\.9\.7 yet: init first asks registry\.opentofu\.org/,
    ],
    [
      "in a filesystem mirror that direct also covers",
      (s) => {
        s.unpacked(join(s.root, "mirror"));
        const config = s.file(
          "rc",
          `provider_installation {\n  filesystem_mirror { path = "${join(s.root, "mirror")}" }\n  direct {}\n}\n`,
        );
        return { env: { HOME: s.home, TF_CLI_CONFIG_FILE: config } };
      },
      false,
      /also lets init ask registry\.opentofu\.org: exclude the provider there/,
    ],
    [
      "only in ~/.terraform.d/plugins while provider_installation replaces the implied mirrors",
      (s) => {
        s.unpacked(join(s.home, ".terraform.d", "plugins"));
        const config = s.file("rc", "provider_installation {\n  direct {}\n}\n");
        return { env: { HOME: s.home, TF_CLI_CONFIG_FILE: config } };
      },
      false,
      undefined,
    ],
    [
      "missing from the only filesystem mirror (init will fail)",
      (s) => {
        mkdirSync(join(s.root, "empty-mirror"));
        const config = s.file(
          "rc",
          `provider_installation {\n  filesystem_mirror {\n    path = "${join(s.root, "empty-mirror")}"\n    include = ["*/*/*"]\n  }\n}\n`,
        );
        return { env: { HOME: s.home, TF_CLI_CONFIG_FILE: config } };
      },
      true,
      undefined,
    ],
    [
      "in ~/.tofurc's mirror, for Terraform (which reads only ~/.terraformrc)",
      (s) => {
        s.unpacked(join(s.root, "mirror"), TERRAFORM_ADDRESS);
        s.file(
          join(s.home, ".tofurc"),
          `provider_installation {\n  filesystem_mirror { path = "${join(s.root, "mirror")}" }\n}\n`,
        );
        return { flavor: "terraform" };
      },
      false,
      undefined,
    ],
    [
      "named by a CLI configuration homelab cannot read (a heredoc)",
      (s) => {
        s.unpacked(join(s.home, ".terraform.d", "plugins"));
        const config = s.file("rc", 'credentials "x" {\n  token = <<EOT\nsecret\nEOT\n}\n');
        return { env: { HOME: s.home, TF_CLI_CONFIG_FILE: config } };
      },
      false,
      /cannot read the CLI configuration .*rc \(line 2: heredoc strings are not supported here\): whether init stays offline is unknown/,
    ],
  ];
  it.each(onlineCases)("is not offline when it is %s", async (_, arrange, noMethod, note) => {
    const s = scratch();
    const availability = await providerAvailability(s.query(arrange(s) ?? {}));
    expect(availability.offline).toBe(false);
    expect(availability.noMethod).toBe(noMethod);
    if (note) expect(availability.notes.join("\n")).toMatch(note);
    if (noMethod) expect(describeAvailability(availability, "tofu")).toMatch(/so `tofu init` will fail$/);
  });
});

describe("parseCliConfig", () => {
  const env = { HOME: "/home/me", MIRROR: "/srv/mirror" };
  it("reads plugin_cache_dir and every installation method, with comments, lists and $VAR", () => {
    const config = parseCliConfig(
      [
        "# a comment",
        'plugin_cache_dir   = "~/.cache/tofu" // another',
        "disable_checkpoint = true",
        "/* a block",
        "   comment */",
        'credentials "app.terraform.io" { token = "abc" }',
        "provider_installation {",
        // biome-ignore lint/suspicious/noTemplateCurlyInString: HCL interpolation, not a template
        '  filesystem_mirror { path = "${MIRROR}/providers"',
        '    include = ["dmacvicar/*", "registry.opentofu.org/hashicorp/*",] }',
        '  network_mirror { url = "https://mirror.example/providers/" }',
        '  direct { exclude = ["dmacvicar/*"] }',
        "}",
      ].join("\n"),
      { json: false, env, home: "/home/me" },
    );
    expect(config).toEqual({
      pluginCacheDir: "/home/me/.cache/tofu",
      installation: [
        {
          kind: "filesystem_mirror",
          path: "/srv/mirror/providers",
          include: ["dmacvicar/*", "registry.opentofu.org/hashicorp/*"],
          exclude: [],
        },
        { kind: "network_mirror", url: "https://mirror.example/providers/", include: [], exclude: [] },
        { kind: "direct", include: [], exclude: ["dmacvicar/*"] },
      ],
    });
  });

  it("has no installation methods without a provider_installation block (the implied ones apply)", () => {
    expect(parseCliConfig("", { json: false, env, home: "/home/me" })).toEqual({
      pluginCacheDir: undefined,
      installation: undefined,
    });
  });

  it.each([
    ['plugin_cache_dir = "unterminated\n', /line 1: unterminated string/],
    ["provider_installation {\n  direct {}\n", /line 3: expected "}"/],
    ["plugin_cache_dir = var.dir\n", /line 1: expressions such as var.dir are not supported here/],
    ["x = <<EOT\nhi\nEOT\n", /line 1: heredoc strings are not supported here/],
  ])("refuses what it cannot read, with the line: %j", (text, message) => {
    expect(() => parseCliConfig(text, { json: false, env, home: "/home/me" })).toThrow(CliConfigSyntaxError);
    expect(() => parseCliConfig(text, { json: false, env, home: "/home/me" })).toThrow(message);
  });
});
