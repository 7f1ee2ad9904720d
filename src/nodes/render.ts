import { isAbsolute } from "node:path";
import { nodeArtifactInstall } from "../artifacts/node-install.js";
import type { ArtifactVolumePlan } from "../artifacts/volume.js";
import { type ButaneDiagnostic, compileButane, formatDiagnostic } from "../butane/index.js";
import { isPublicKeyLine } from "../environment/ssh-keys.js";
import { HomelabError, type SourceLocation } from "../errors/index.js";
import type { ClusterPlan, NodePlan, ResolvedSnippet } from "../plan/types.js";
import {
  hostnameFile,
  joinEnvironment,
  k3sConfigYaml,
  STATIC_NETWORK_PATH,
  staticNetworkFile,
  updateConf,
} from "./files.js";
import { BOOTSTRAP, type FirstBoot, JOIN } from "./first-boot.js";
import { renderTemplate, type TemplateValue } from "./template.js";
import { restoreSnapshotScript, restoreUnit, roleTemplate, waitForServerScript } from "./templates.js";

/**
 * A file the caller adds to one node (e.g. the Flux bootstrap manifests on the first server):
 * either inline `contents`, or a `source` Ignition downloads at first boot and accepts only if
 * its SHA-256 matches.
 */
export type ExtraNodeFile =
  | {
      /** Absolute path on the node. */
      readonly path: string;
      /** Permission bits, e.g. 0o600. */
      readonly mode: number;
      readonly contents: string;
    }
  | {
      readonly path: string;
      readonly mode: number;
      readonly source: { readonly url: string; readonly sha256: string };
    };

/** A systemd unit the caller adds to a machine (see `bootstrapUnits`). */
export interface ExtraNodeUnit {
  readonly name: string;
  readonly enabled: boolean;
  readonly contents: string;
}

export interface NodeConfigInputs {
  /** The environment's k3s token (see secrets/ensureK3sToken). Written only into config.yaml (0600). */
  readonly k3sToken: string;
  /**
   * Key lines for user core, already resolved: homelab's own public key first, then the
   * environment's `ssh.authorizedKeys` (as LoadedEnvironment has them).
   */
  readonly sshPublicKeys: readonly string[];
  /** The k3s binary to install, from the lock file: https URL and lowercase hex SHA-256. */
  readonly k3sBinary: { readonly url: string; readonly sha256: string };
  /** Extra files per node name. */
  readonly extraFiles?: ReadonlyMap<string, readonly ExtraNodeFile[]>;
  /** Files every server gets, identical on each (the registration address's kube-vip manifest). */
  readonly serverFiles?: readonly ExtraNodeFile[];
  /**
   * Files only the machine that bootstraps the cluster gets (Flux's bootstrap): every later
   * machine joins a cluster that already holds what they created.
   */
  readonly bootstrapFiles?: readonly ExtraNodeFile[];
  /** Units only the machine that bootstraps the cluster gets (Flux's hand-over to itself). */
  readonly bootstrapUnits?: readonly ExtraNodeUnit[];
  /**
   * Each node's password (`/etc/rancher/node/password`), by node name: required for every node.
   * Kept in the state directory, so a rebuilt machine registers under the same identity.
   */
  readonly nodePasswords: ReadonlyMap<string, string>;
  /**
   * How each node's machine starts k3s (see first-boot.ts). A node not listed joins, except
   * the plan's first server, which bootstraps: what a new environment needs.
   */
  readonly firstBoot?: ReadonlyMap<string, FirstBoot>;
  /** Directory that `local:` references in snippets are relative to (usually the environment file's). */
  readonly filesDir?: string;
  /**
   * The artifact volume every machine attaches (src/artifacts): then no Ignition downloads k3s
   * (or Flux's manifest); homelab-artifacts.service installs them from the volume at first boot,
   * each checked against the hash this node's Ignition lists. Undefined: Ignition downloads k3s.
   */
  readonly artifacts?: ArtifactVolumePlan;
}

export interface RenderedNodeConfig {
  readonly node: NodePlan;
  readonly firstBoot: FirstBoot;
  /** The node's Butane config, self-contained: compiling it gives `ignition`. */
  readonly butane: string;
  /** The Ignition config (spec 3.3.0), as the compiler prints it, newline-terminated. */
  readonly ignition: string;
}

/** Ignition spec the templates target (Butane flatcar 1.0.0); a snippet must not need a newer one. */
const TEMPLATE_IGNITION_VERSION = "3.3.0";

/** Renders one node's machine in a first-boot mode; memoized per node and mode. */
export type NodeRenderer = (node: NodePlan, firstBoot: FirstBoot) => RenderedNodeConfig;

/**
 * A renderer for the nodes of a plan. The role's template is filled with typed values, then
 * compiled in strict mode; the environment's snippets are compiled on their own (errors name the
 * snippet) and merged by Ignition. The rollout asks for a node in more than one first-boot mode
 * (the machine it has, the machine a rebuild would build), hence one call per node and mode.
 *
 * Deterministic: the same plan and inputs give byte-identical output, which is what lets a
 * change in a node's Ignition be noticed — and the node replaced, since Ignition runs once.
 */
export function createNodeRenderer(plan: ClusterPlan, inputs: NodeConfigInputs): NodeRenderer {
  checkInputs(plan, inputs);
  const compiledSnippets = new Map<string, string>();
  const rendered = new Map<string, RenderedNodeConfig>();
  return (node, firstBoot) => {
    const key = `${node.name}\0${JSON.stringify(firstBoot)}`;
    const cached = rendered.get(key);
    if (cached) return cached;
    const config = renderNode(plan, inputs, node, firstBoot, compiledSnippets);
    rendered.set(key, config);
    return config;
  };
}

/**
 * Every node of the plan, in plan order, in the first-boot mode `inputs.firstBoot` gives (a new
 * environment's: the first server bootstraps, every other node joins).
 */
export function renderNodeConfigs(plan: ClusterPlan, inputs: NodeConfigInputs): RenderedNodeConfig[] {
  const render = createNodeRenderer(plan, inputs);
  return plan.nodes.map((node) => render(node, firstBootOf(node, inputs)));
}

function renderNode(
  plan: ClusterPlan,
  inputs: NodeConfigInputs,
  node: NodePlan,
  firstBoot: FirstBoot,
  compiledSnippets: Map<string, string>,
): RenderedNodeConfig {
  // Flux's manifest goes only to the machine that bootstraps the cluster, like the rest of its bootstrap.
  const install = inputs.artifacts
    ? nodeArtifactInstall(inputs.artifacts, { clusterInit: firstBoot.kind === "bootstrap", role: node.role })
    : undefined;
  const installed = new Set(install?.installs.map((entry) => entry.target) ?? []);
  const snippetConfigs = node.snippets.map((snippet) => ({
    inline: compileSnippet(snippet, inputs, compiledSnippets),
  }));
  const values: Record<string, TemplateValue> = {
    snippetConfigs,
    sshAuthorizedKeys: [...inputs.sshPublicKeys],
    hostnameFile: hostnameFile(node),
    updateConf: updateConf(plan.environment),
    k3sBinaryFiles: install
      ? []
      : [
          {
            path: "/opt/bin/k3s",
            mode: 0o755,
            contents: {
              source: inputs.k3sBinary.url,
              verification: { hash: `sha256-${inputs.k3sBinary.sha256}` },
            },
          },
        ],
    k3sConfig: k3sConfigYaml(plan, node, inputs.k3sToken, firstBoot),
    nodePassword: inputs.nodePasswords.get(node.name) ?? "",
    joinEnvironment: joinEnvironment(plan, node, firstBoot),
    waitForServerScript: waitForServerScript(),
    // Static in both modes: a node's address comes from its own Ignition, like every other
    // fact about the node (DHCP only serves the initramfs of its first boot).
    networkFiles: [
      { path: STATIC_NETWORK_PATH, mode: 0o644, contents: { inline: staticNetworkFile(plan, node) } },
    ],
    extraFiles: [
      ...(node.role === "server" ? (inputs.serverFiles ?? []) : []),
      ...restoreFiles(firstBoot),
      ...(firstBoot.kind === "bootstrap" ? (inputs.bootstrapFiles ?? []) : []),
      ...(inputs.extraFiles?.get(node.name) ?? []),
    ]
      // What the volume installs is not downloaded as well (Flux's manifest on the bootstrapping server).
      .filter((file) => !("source" in file && installed.has(file.path)))
      .concat(install?.files ?? [])
      .map(butaneFile),
    ...(node.role === "server" ? { modeUnits: modeUnits(firstBoot, inputs) } : {}),
    artifactUnits: (install?.units ?? []).map((unit) => ({ ...unit })),
  };
  const butane = renderTemplate(roleTemplate(node.role), values);
  const result = compileButane(butane, { strict: true, pretty: false });
  if (!result.ok || result.ignition === undefined || result.diagnostics.length > 0) {
    const problems = result.diagnostics.map(formatDiagnostic);
    throw new HomelabError(
      "internal",
      `the generated Butane config of ${node.name} does not compile cleanly`,
      {
        details: [...problems, ...(result.summary ? [result.summary] : [])].map((message) => ({ message })),
        fix: "This is a bug in homelab's node templates (butane-configs/). Please report it with the details above.",
      },
    );
  }
  return { node, firstBoot, butane, ignition: result.ignition };
}

function firstBootOf(node: NodePlan, inputs: NodeConfigInputs): FirstBoot {
  const given = inputs.firstBoot?.get(node.name);
  if (given) return given;
  return node.clusterInit ? BOOTSTRAP : JOIN;
}

function butaneFile(file: ExtraNodeFile): TemplateValue {
  return {
    path: file.path,
    mode: file.mode,
    overwrite: true,
    contents:
      "contents" in file
        ? { inline: file.contents }
        : { source: file.source.url, verification: { hash: `sha256-${file.source.sha256}` } },
  };
}

/** Where the restore script and its settings live on a server in restore mode. */
export const RESTORE_PATHS = {
  script: "/opt/bin/k3s-restore-snapshot",
  environment: "/etc/homelab/k3s-restore.env",
  directory: "/var/lib/homelab/restore",
  unit: "homelab-k3s-restore.service",
} as const;

function restoreFiles(firstBoot: FirstBoot): ExtraNodeFile[] {
  if (firstBoot.kind !== "restore") return [];
  return [
    { path: RESTORE_PATHS.script, mode: 0o755, contents: restoreSnapshotScript() },
    {
      path: RESTORE_PATHS.environment,
      mode: 0o644,
      contents: `SNAPSHOT_SHA256=${firstBoot.snapshotSha256}\nRESTORE_DIR=${RESTORE_PATHS.directory}\n`,
    },
  ];
}

/** The units a server gets for its first-boot mode: the restore, or the bootstrap's own. */
function modeUnits(firstBoot: FirstBoot, inputs: NodeConfigInputs): TemplateValue[] {
  if (firstBoot.kind === "restore")
    return [{ name: RESTORE_PATHS.unit, enabled: true, contents: restoreUnit() }];
  if (firstBoot.kind === "bootstrap") return (inputs.bootstrapUnits ?? []).map((unit) => ({ ...unit }));
  return [];
}

function checkInputs(plan: ClusterPlan, inputs: NodeConfigInputs): void {
  const bug = (message: string) =>
    new HomelabError("internal", message, {
      fix: "The caller of renderNodeConfigs passed invalid inputs; this is a bug.",
    });
  if (!/^[0-9a-f]{64}$/.test(inputs.k3sBinary.sha256))
    throw bug("k3sBinary.sha256 must be 64 lowercase hex digits");
  if (!/^https?:\/\/[^\s]+$/.test(inputs.k3sBinary.url)) throw bug("k3sBinary.url must be an http(s) URL");
  if (inputs.k3sToken.length < 16 || /[\s"'\\]/.test(inputs.k3sToken))
    throw bug("the k3s token is malformed");
  for (const key of inputs.sshPublicKeys) {
    if (!isPublicKeyLine(key)) throw bug(`not a single SSH public key line: ${key.slice(0, 40)}…`);
  }
  const names = new Set(plan.nodes.map((n) => n.name));
  for (const node of plan.nodes) {
    const password = inputs.nodePasswords.get(node.name);
    if (password === undefined || !/^[0-9a-f]{32,128}$/.test(password))
      throw bug(`no valid node password for ${node.name}`);
  }
  for (const [name, firstBoot] of inputs.firstBoot ?? []) {
    const node = plan.nodes.find((n) => n.name === name);
    if (!node) throw bug(`a first-boot mode for ${name}, which is not a node of the plan`);
    if (firstBoot.kind !== "join" && node.role !== "server")
      throw bug(`${name} is an agent: it can only join`);
    if (firstBoot.kind === "restore" && !/^[0-9a-f]{64}$/.test(firstBoot.snapshotSha256))
      throw bug(`bad snapshot sha256 for ${name}`);
  }
  const etcdStarters = plan.nodes.filter(
    (node) => node.role === "server" && firstBootOf(node, inputs).kind !== "join",
  );
  if (etcdStarters.length > 1)
    throw bug(`more than one server would start etcd: ${etcdStarters.map((n) => n.name).join(", ")}`);
  for (const unit of inputs.bootstrapUnits ?? []) {
    if (!/^[A-Za-z0-9@._-]+\.(service|timer|path)$/.test(unit.name)) throw bug(`bad unit name ${unit.name}`);
  }
  for (const [name, files] of inputs.extraFiles ?? []) {
    if (!names.has(name)) throw bug(`extra files for ${name}, which is not a node of the plan`);
    for (const file of files) {
      if (!isAbsolute(file.path)) throw bug(`extra file path ${file.path} is not absolute`);
      if (!Number.isInteger(file.mode) || file.mode < 0 || file.mode > 0o7777)
        throw bug(`bad mode for ${file.path}`);
      if ("source" in file && !/^[0-9a-f]{64}$/.test(file.source.sha256))
        throw bug(`bad sha256 for ${file.path}`);
    }
  }
}

/** Where a snippet's problem is: `file: servers.snippets.0` origins name the env file and field. */
function snippetLocation(snippet: ResolvedSnippet, diagnostic: ButaneDiagnostic | undefined): SourceLocation {
  const inline = /^(.*): ((?:servers|agents|nodes)\..*)$/.exec(snippet.origin);
  if (inline) return { file: inline[1]!, path: inline[2]! };
  return {
    file: snippet.origin,
    ...(diagnostic?.line === undefined ? {} : { line: diagnostic.line }),
    ...(diagnostic?.column === undefined ? {} : { column: diagnostic.column }),
    ...(diagnostic ? { path: diagnostic.path } : {}),
  };
}

function compileSnippet(
  snippet: ResolvedSnippet,
  inputs: NodeConfigInputs,
  cache: Map<string, string>,
): string {
  const key = `${snippet.origin}\0${snippet.source}`;
  const cached = cache.get(key);
  if (cached !== undefined) return cached;
  const result = compileButane(snippet.source, {
    strict: true,
    pretty: false,
    ...(inputs.filesDir === undefined ? {} : { filesDir: inputs.filesDir }),
  });
  const first = result.diagnostics[0];
  if (!result.ok || result.ignition === undefined) {
    const lines = result.diagnostics.map(formatDiagnostic);
    throw new HomelabError(
      "env-snippet-invalid",
      `Butane snippet ${snippet.origin} does not compile: ${lines[0] ?? result.summary ?? "unknown error"}`,
      {
        where: snippetLocation(snippet, first),
        details: lines.slice(1).map((message) => ({ message })),
        fix:
          "Fix the snippet (a complete Butane config with `variant: flatcar` and `version: 1.0.0`). " +
          "`homelab butane --strict FILE` shows the same diagnostics; warnings count as errors here.",
      },
    );
  }
  if (result.ignitionVersion && result.ignitionVersion !== TEMPLATE_IGNITION_VERSION) {
    throw new HomelabError(
      "env-snippet-invalid",
      `Butane snippet ${snippet.origin} produces Ignition ${result.ignitionVersion}; homelab's node configs use ${TEMPLATE_IGNITION_VERSION}`,
      {
        where: snippetLocation(snippet, undefined),
        fix: "Write the snippet as `variant: flatcar` / `version: 1.0.0` (Ignition 3.3.0).",
      },
    );
  }
  const ignition = result.ignition.trimEnd();
  cache.set(key, ignition);
  return ignition;
}
