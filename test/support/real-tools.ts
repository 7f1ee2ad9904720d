/**
 * The real tools the test suite runs against, in one table, and the one way a test declares
 * that it needs some of them:
 *
 *   describeWithTools(["ignition-validate", "ignition"], "applied by the real Ignition", () => { … });
 *   itWithTools(["ssh-keygen"], "OpenSSH reads the key", () => { … });
 *
 * When every tool is there, that is a plain `describe`/`it`. When one is missing:
 *
 * - by default (a developer's machine without the Debian packages) the block is SKIPPED and
 *   marked with the missing tools; the summary reporter (real-tools-reporter.ts) lists at the
 *   end of the run each missing tool, its package, how many tests it held back, and the one
 *   `apt-get install` line that brings them all;
 * - with `CI` set (anything but "", "0", "false") or `HOMELAB_REQUIRE_REAL_TOOLS=1`, the block
 *   gets one FAILING test that names the missing tools and their packages, so CI always proves
 *   the real-tool tests ran. The block's own tests and hooks still do not run (they would only
 *   fail the same way, or hang on a half-started stand-in).
 *
 * Helpers that run a tool (ignition.ts, libvirtd.ts, sshd.ts …) call `toolPath`, which throws
 * the same message when a test forgot to declare what it needs.
 */
import { accessSync, constants, readdirSync, statSync } from "node:fs";
import { delimiter, join } from "node:path";
import { describe, it, type TestFunction } from "vitest";

interface RealTool {
  /** Programs searched on PATH and the system directories, in order (any one will do). */
  readonly programs?: readonly string[];
  /** Fixed files, for tools that are not on PATH. */
  readonly files?: readonly string[];
  /** Directories whose listing must hold a file of this name (e.g. libvirt's driver modules). */
  readonly anyFile?: { readonly glob: readonly string[]; readonly name: string };
  /** A condition that is not a file (running as root). */
  readonly check?: () => boolean;
  /** The Debian package that provides it, if Debian has one. */
  readonly debianPackage?: string;
  /** How to get it otherwise, or what to do. */
  readonly install?: string;
}

/**
 * Every real tool a test may need. Debian package names are Debian 12's; `.ci/run` installs
 * exactly the packages named here (a test in test/docs keeps the two in step).
 */
export const REAL_TOOLS = {
  "ignition-validate": { programs: ["ignition-validate"], debianPackage: "ignition" },
  // Debian ships the Ignition binary only inside its dracut module.
  ignition: { files: ["/usr/lib/dracut/modules.d/30ignition/ignition"], debianPackage: "ignition" },
  libvirtd: { programs: ["libvirtd"], debianPackage: "libvirt-daemon" },
  virtlogd: { programs: ["virtlogd"], debianPackage: "libvirt-daemon" },
  "libvirt-qemu-driver": {
    anyFile: {
      glob: ["/usr/lib/x86_64-linux-gnu/libvirt/connection-driver", "/usr/lib64/libvirt/connection-driver"],
      name: "libvirt_driver_qemu.so",
    },
    debianPackage: "libvirt-daemon-driver-qemu",
  },
  virsh: { programs: ["virsh"], debianPackage: "libvirt-clients" },
  "qemu-system-x86_64": { programs: ["qemu-system-x86_64"], debianPackage: "qemu-system-x86" },
  "qemu-img": { programs: ["qemu-img"], debianPackage: "qemu-utils" },
  dnsmasq: { programs: ["dnsmasq"], debianPackage: "dnsmasq-base" },
  sshd: { programs: ["sshd"], debianPackage: "openssh-server" },
  ssh: { programs: ["ssh"], debianPackage: "openssh-client" },
  "ssh-keygen": { programs: ["ssh-keygen"], debianPackage: "openssh-client" },
  gpg: { programs: ["gpg"], debianPackage: "gnupg" },
  openssl: { programs: ["openssl"], debianPackage: "openssl" },
  curl: { programs: ["curl"], debianPackage: "curl" },
  "systemd-analyze": { programs: ["systemd-analyze"], debianPackage: "systemd" },
  // The image importer k3s embeds: containerd, and ctr to drive it.
  containerd: { programs: ["containerd"], debianPackage: "containerd" },
  ctr: { programs: ["ctr"], debianPackage: "containerd" },
  // Base tools: a Debian installation has them (essential or standard packages; git comes with
  // the clone), a minimal container or another system may not. GNU versions are what is tested.
  diff: { programs: ["diff"], debianPackage: "diffutils" },
  patch: { programs: ["patch"], debianPackage: "patch" },
  tar: { programs: ["tar"], debianPackage: "tar" },
  script: { programs: ["script"], debianPackage: "bsdutils" },
  unshare: { programs: ["unshare"], debianPackage: "util-linux" },
  // Debian 12 ships mount(8) and umount(8) in a package of their own, not in util-linux.
  mount: { programs: ["mount"], debianPackage: "mount" },
  git: { programs: ["git"], debianPackage: "git" },
  terraform: {
    programs: ["tofu", "terraform"],
    install:
      "not a Debian package: install OpenTofu (https://opentofu.org/docs/intro/install/deb/, package `tofu`) " +
      "or Terraform ≥ 1.5 (HashiCorp's apt repository, package `terraform`), or point HOMELAB_TEST_TOFU at a binary",
  },
  kubectl: {
    programs: ["kubectl"],
    install:
      "not a Debian package (Debian's kubernetes-client 1.20 is too old for kustomize v5): install `kubectl` " +
      "from Kubernetes' apt repository (https://kubernetes.io/docs/tasks/tools/install-kubectl-linux/)",
  },
  root: {
    check: () => process.getuid?.() === 0,
    install: "run the tests as root (as CI does): they start libvirtd and sshd themselves",
  },
} as const satisfies Record<string, RealTool>;

export type RealToolName = keyof typeof REAL_TOOLS;

/** What a libvirt test needs: a daemon the suite starts itself, with QEMU. */
export const LIBVIRT_TOOLS = [
  "root",
  "libvirtd",
  "virtlogd",
  "libvirt-qemu-driver",
  "virsh",
  "qemu-system-x86_64",
  "qemu-img",
] as const satisfies readonly RealToolName[];
/** The real Ignition: its validator and the binary that applies configs to a scratch root. */
export const IGNITION_TOOLS = ["ignition-validate", "ignition"] as const satisfies readonly RealToolName[];
/** A real containerd the suite starts itself on a unix socket, and ctr. */
export const CONTAINERD_TOOLS = ["root", "containerd", "ctr"] as const satisfies readonly RealToolName[];
/** A real sshd on 127.0.0.1, and the client that logs in to it. */
export const SSHD_TOOLS = ["root", "sshd", "ssh", "ssh-keygen"] as const satisfies readonly RealToolName[];

// Normal users' PATH on Debian lacks the sbin directories where sshd, libvirtd and dnsmasq live.
const SYSTEM_DIRECTORIES = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function findProgram(program: string): string | undefined {
  const directories = [...(process.env.PATH ?? "").split(delimiter).filter(Boolean), ...SYSTEM_DIRECTORIES];
  for (const directory of new Set(directories)) {
    const candidate = join(directory, program);
    if (executable(candidate)) return candidate;
  }
  return undefined;
}

const found = new Map<RealToolName, string | undefined>();

/**
 * Tools to treat as missing although installed: `HOMELAB_TEST_HIDE_TOOLS=ignition,sshd npm test`
 * tries the skip (and, with CI=true, the fail) path on a machine that has everything.
 */
function hiddenTools(): Set<string> {
  return new Set((process.env.HOMELAB_TEST_HIDE_TOOLS ?? "").split(",").map((name) => name.trim()));
}

/** Where the tool is on this machine (its path, or "yes" for a condition), undefined when missing. */
export function locateTool(name: RealToolName): string | undefined {
  if (found.has(name)) return found.get(name);
  const tool: RealTool = REAL_TOOLS[name];
  let location: string | undefined;
  if (hiddenTools().has(name)) {
    found.set(name, undefined);
    return undefined;
  }
  if (name === "terraform" && process.env.HOMELAB_TEST_TOFU) {
    location = executable(process.env.HOMELAB_TEST_TOFU) ? process.env.HOMELAB_TEST_TOFU : undefined;
  }
  for (const program of tool.programs ?? []) location ??= findProgram(program);
  for (const file of tool.files ?? []) if (location === undefined && executable(file)) location = file;
  if (tool.anyFile) {
    for (const directory of tool.anyFile.glob) {
      try {
        if (location === undefined && readdirSync(directory).includes(tool.anyFile.name))
          location = join(directory, tool.anyFile.name);
      } catch {
        // no such directory
      }
    }
  }
  if (tool.check) location = tool.check() ? "yes" : undefined;
  found.set(name, location);
  return location;
}

/** The tools of `names` that this machine lacks, in table order, without duplicates. */
export function missingTools(names: readonly RealToolName[]): RealToolName[] {
  const wanted = new Set(names);
  return (Object.keys(REAL_TOOLS) as RealToolName[]).filter((name) => wanted.has(name) && !locateTool(name));
}

/** The Debian packages that bring these tools (the ones Debian has). */
export function debianPackagesFor(names: readonly RealToolName[]): string[] {
  const packages = names.map((name) => (REAL_TOOLS[name] as RealTool).debianPackage).filter(Boolean);
  return [...new Set(packages as string[])];
}

/** "ignition-validate (Debian package ignition), terraform (not a Debian package: …)". */
export function describeTools(names: readonly RealToolName[]): string {
  return names
    .map((name) => {
      const tool: RealTool = REAL_TOOLS[name];
      return tool.debianPackage
        ? `${name} (Debian package ${tool.debianPackage})`
        : `${name} (${tool.install})`;
    })
    .join(", ");
}

/** The message of a missing tool: what is missing, and the command that installs it. */
export function missingToolsMessage(names: readonly RealToolName[]): string {
  const packages = debianPackagesFor(names);
  const install = packages.length > 0 ? `; apt-get install -y ${packages.join(" ")}` : "";
  return `missing real tools: ${describeTools(names)}${install}`;
}

/** Whether a missing tool fails the run instead of skipping (CI, or HOMELAB_REQUIRE_REAL_TOOLS=1). */
export function realToolsRequired(env: NodeJS.ProcessEnv = process.env): boolean {
  const ci = env.CI;
  const onCi = ci !== undefined && ci !== "" && ci !== "0" && ci.toLowerCase() !== "false";
  return onCi || env.HOMELAB_REQUIRE_REAL_TOOLS === "1";
}

/** The path of a tool for a helper that runs it; throws the install message when it is missing. */
export function toolPath(name: RealToolName): string {
  const location = locateTool(name);
  if (location === undefined) throw new Error(missingToolsMessage([name]));
  return location;
}

/** Marks a skipped (or failing) block for the summary reporter. */
export interface RealToolsMeta {
  readonly missing: readonly RealToolName[];
  /** CI mode: the block failed instead of skipping. */
  readonly required: boolean;
}

declare module "@vitest/runner" {
  interface TaskMeta {
    realTools?: RealToolsMeta;
  }
}

/** `describe` for a block that runs real tools: runs, skips or fails as the module comment says. */
export function describeWithTools(tools: readonly RealToolName[], name: string, factory: () => void): void {
  const missing = missingTools(tools);
  if (missing.length === 0) {
    describe(name, factory);
    return;
  }
  const meta: RealToolsMeta = { missing, required: realToolsRequired() };
  if (!meta.required) {
    describe(name, { skip: true, meta: { realTools: meta } }, factory);
    return;
  }
  describe(name, { meta: { realTools: meta } }, () => {
    it(`has the real tools it runs against (${missing.join(", ")})`, () => {
      throw new Error(`${missingToolsMessage(missing)} (CI or HOMELAB_REQUIRE_REAL_TOOLS=1: not skipped)`);
    });
    describe("held back", { skip: true }, factory);
  });
}

/** `it` for one test that runs real tools, in a block that otherwise needs none. */
export function itWithTools(
  tools: readonly RealToolName[],
  name: string,
  fn: TestFunction,
  timeout?: number,
): void {
  const missing = missingTools(tools);
  if (missing.length === 0) {
    it(name, { ...(timeout === undefined ? {} : { timeout }) }, fn);
    return;
  }
  const meta: RealToolsMeta = { missing, required: realToolsRequired() };
  if (!meta.required) {
    it(name, { skip: true, meta: { realTools: meta } }, fn);
    return;
  }
  it(name, { meta: { realTools: meta } }, () => {
    throw new Error(`${missingToolsMessage(missing)} (CI or HOMELAB_REQUIRE_REAL_TOOLS=1: not skipped)`);
  });
}

/**
 * Both of the above for one set of tools, for files whose blocks all need the same ones:
 *   const terraform = withTools(["terraform"]);
 *   terraform.describe("TofuRunner …", () => { … });
 */
export function withTools(tools: readonly RealToolName[]): {
  describe: (name: string, factory: () => void) => void;
  /** `describe.each` for string cases: `%s` in the name is the case. */
  describeEach: <T extends string>(cases: readonly T[], name: string, factory: (value: T) => void) => void;
  it: (name: string, fn: TestFunction, timeout?: number) => void;
} {
  return {
    describe: (name, factory) => describeWithTools(tools, name, factory),
    describeEach: (cases, name, factory) => {
      for (const value of cases) describeWithTools(tools, name.replace("%s", value), () => factory(value));
    },
    it: (name, fn, timeout) => itWithTools(tools, name, fn, timeout),
  };
}
