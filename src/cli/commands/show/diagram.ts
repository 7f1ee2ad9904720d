import type { HostPlan } from "../../../placement/types.js";
import type { ClusterPlan, NodePlan } from "../../../plan/types.js";
import type { ResolvedVersions } from "../../../render/index.js";
import { baseImageKey, baseVolumeName } from "../../../tofu/index.js";
import { formatMemory } from "../render/summary.js";

/**
 * `homelab show`: an environment drawn like the overview's diagram — the host, libvirt (URI,
 * pool, network, base image) and one box per node with role, address and size. Pure: a
 * function of the plan, the resolved versions and the terminal width.
 */

export interface DiagramOptions {
  /** Terminal columns; the drawing never exceeds it unless a single node box is wider. */
  readonly width: number;
  /** Plain ASCII (`+`, `-`, `|`) instead of box-drawing characters. */
  readonly ascii: boolean;
}

export interface DiagramInput {
  readonly plan: ClusterPlan;
  readonly versions: ResolvedVersions;
  readonly environmentFile: string;
}

interface Glyphs {
  readonly topLeft: string;
  readonly topRight: string;
  readonly bottomLeft: string;
  readonly bottomRight: string;
  readonly horizontal: string;
  readonly vertical: string;
  readonly dot: string;
  readonly ellipsis: string;
  readonly arrow: string;
}

const UNICODE: Glyphs = {
  topLeft: "┌",
  topRight: "┐",
  bottomLeft: "└",
  bottomRight: "┘",
  horizontal: "─",
  vertical: "│",
  dot: "·",
  ellipsis: "…",
  arrow: "◄",
};

const ASCII: Glyphs = {
  topLeft: "+",
  topRight: "+",
  bottomLeft: "+",
  bottomRight: "+",
  horizontal: "-",
  vertical: "|",
  dot: "-",
  ellipsis: "~",
  arrow: "<",
};

const MIN_WIDTH = 40;
const GAP = 1;

/** Display width; every character homelab draws is one column wide. */
const columns = (text: string): number => [...text].length;

function fitText(text: string, width: number, glyphs: Glyphs): string {
  const chars = [...text];
  if (chars.length <= width) return text + " ".repeat(width - chars.length);
  return `${chars.slice(0, Math.max(0, width - 1)).join("")}${glyphs.ellipsis}`;
}

/** Joins `parts` with " · ", starting a new line where the next part would not fit. */
function wrapParts(parts: readonly string[], width: number, glyphs: Glyphs): string[] {
  const lines: string[] = [];
  let line = "";
  for (const part of parts.filter((p) => p.length > 0)) {
    const joined = line ? `${line} ${glyphs.dot} ${part}` : part;
    if (line && columns(joined) > width) {
      lines.push(line);
      line = part;
    } else line = joined;
  }
  if (line) lines.push(line);
  return lines.map((text) => fitText(text, width, glyphs).trimEnd());
}

/** A box of `inner` columns: title in the top border, lines padded or cut to fit. */
function box(title: string, lines: readonly string[], inner: number, glyphs: Glyphs): string[] {
  const label = title ? ` ${fitText(title, Math.max(0, inner - 2), glyphs).trimEnd()} ` : "";
  const top = `${glyphs.topLeft}${glyphs.horizontal}${label}${glyphs.horizontal.repeat(Math.max(0, inner + 1 - columns(label)))}${glyphs.topRight}`;
  const body = lines.map((line) => `${glyphs.vertical} ${fitText(line, inner, glyphs)} ${glyphs.vertical}`);
  const bottom = `${glyphs.bottomLeft}${glyphs.horizontal.repeat(inner + 2)}${glyphs.bottomRight}`;
  return [top, ...body, bottom];
}

/** Boxes side by side, as many per row as fit in `width`. */
function arrange(boxes: readonly string[][], boxWidth: number, width: number): string[] {
  const perRow = Math.max(1, Math.floor((width + GAP) / (boxWidth + GAP)));
  const lines: string[] = [];
  for (let start = 0; start < boxes.length; start += perRow) {
    const row = boxes.slice(start, start + perRow);
    const height = Math.max(...row.map((b) => b.length));
    for (let line = 0; line < height; line++) {
      lines.push(
        row
          .map((b) => b[line] ?? " ".repeat(boxWidth))
          .join(" ".repeat(GAP))
          .trimEnd(),
      );
    }
  }
  return lines;
}

function nodeLines(node: NodePlan, glyphs: Glyphs): string[] {
  // How a new environment starts: the first server bootstraps etcd; `plan` says it per machine later.
  const role = node.clusterInit
    ? `server ${glyphs.dot} bootstraps`
    : node.role === "server"
      ? "server (joins)"
      : "agent";
  return [
    role,
    node.address,
    `${node.vcpu} vCPU ${glyphs.dot} ${formatMemory(node.memoryMiB)}`,
    `disk ${node.diskGiB} GiB`,
  ];
}

/** `qemu+ssh://user@host/system` → `host`; a URI without a host is this machine. */
export function hypervisorHost(uri: string): string {
  const match = /^[a-z0-9+]+:\/\/(?:[^@/]*@)?([^/:?]+)/i.exec(uri);
  return match?.[1] ? match[1] : "this machine";
}

function libvirtLines(input: DiagramInput, glyphs: Glyphs, host?: HostPlan): string[] {
  const { plan, versions } = input;
  const environment = plan.environment;
  const network = host ? { ...plan.network, bridge: host.bridge ?? plan.network.bridge } : plan.network;
  const hostPool = host?.pool ?? plan.pool;
  const pool = hostPool.existing
    ? `${hostPool.name} (existing pool)`
    : `${hostPool.name} ${glyphs.dot} dir ${hostPool.path ?? ""}`;
  const dhcp = network.dhcpRange
    ? `DHCP ${network.dhcpRange.start}-${network.dhcpRange.end.split(".").pop()}`
    : "";
  const net =
    network.mode === "nat"
      ? `${network.libvirtNetworkName ?? ""} ${glyphs.dot} NAT ${network.cidr} ${glyphs.dot} ${dhcp}`
      : `host bridge ${network.bridge ?? ""} ${glyphs.dot} ${network.cidr} ${glyphs.dot} static addresses`;
  const route = `gateway ${network.gateway}${network.domain ? ` ${glyphs.dot} domain ${network.domain}` : ""}`;
  const image = baseVolumeName(
    environment.prefix,
    baseImageKey(versions.flatcar.channel, versions.flatcar.version),
  );
  return [
    `domains  ${environment.machine.type} ${glyphs.dot} Ignition via fw_cfg ${glyphs.dot} serial console`,
    `pool     ${pool}`,
    `network  ${net}`,
    `         ${route}`,
    `api      ${network.registrationAddress}:6443 ${glyphs.dot} registration address (kube-vip)`,
    `image    ${image} ${glyphs.arrow} node overlays`,
  ];
}

export function drawEnvironment(input: DiagramInput, options: DiagramOptions): string {
  const glyphs = options.ascii ? ASCII : UNICODE;
  const { plan, versions } = input;
  const environment = plan.environment;
  const width = Math.max(MIN_WIDTH, options.width);

  const nodeBoxes = plan.nodes.map((node) => ({ node, lines: nodeLines(node, glyphs) }));
  // The title sits in the top border between "─ " and " ─": two columns more than the name.
  const nodeInner = Math.max(
    ...nodeBoxes.flatMap(({ node, lines }) => [columns(node.name) + 2, ...lines.map(columns)]),
  );
  const nodeWidth = nodeInner + 4;

  // Two frames (host, libvirt) around the node boxes: 4 columns each.
  const libvirt = libvirtLines(input, glyphs);
  const widestGroup = Math.max(
    ...(["server", "agent"] as const).map((r) => plan.nodes.filter((n) => n.role === r).length),
  );
  const boxesPerRow = Math.min(widestGroup, 4);
  const wanted = Math.max(...libvirt.map(columns), nodeWidth * boxesPerRow + GAP * (boxesPerRow - 1));
  const libvirtInner = Math.max(nodeWidth, Math.min(wanted, width - 8));
  const hostInner = libvirtInner + 4;

  if (plan.multiHost) return drawHosts(input, glyphs, nodeBoxes, nodeInner, nodeWidth, width);

  const groups: string[] = [];
  for (const role of ["server", "agent"] as const) {
    const members = nodeBoxes.filter(({ node }) => node.role === role);
    if (members.length === 0) continue;
    if (groups.length > 0) groups.push("");
    groups.push(`${role === "server" ? "servers" : "agents"} (${members.length})`);
    groups.push(
      ...arrange(
        members.map(({ node, lines }) => box(node.name, lines, nodeInner, glyphs)),
        nodeWidth,
        libvirtInner,
      ),
    );
  }

  const libvirtBox = box(
    `libvirt ${glyphs.dot} ${environment.libvirt.uri}`,
    [...libvirt, "", ...groups],
    libvirtInner,
    glyphs,
  );
  const hostTitle = `host ${glyphs.dot} ${hypervisorHost(environment.libvirt.uri)}`;
  const header = [
    ...wrapParts(
      [environment.name, input.environmentFile, environment.description ?? ""],
      hostInner + 4,
      glyphs,
    ),
    ...wrapParts(
      [
        `k3s ${versions.k3s.version}`,
        `Flatcar ${versions.flatcar.channel} ${versions.flatcar.version}`,
        `${plan.nodes.length} node${plan.nodes.length === 1 ? "" : "s"}`,
      ],
      hostInner + 4,
      glyphs,
    ),
  ];
  return `${[...header, ...box(hostTitle, libvirtBox, hostInner, glyphs)].join("\n")}\n`;
}

/** The header above the host frames: name, file, description; versions and counts. */
function headerLines(input: DiagramInput, width: number, glyphs: Glyphs, extra: readonly string[]): string[] {
  const { plan, versions } = input;
  const environment = plan.environment;
  return [
    ...wrapParts([environment.name, input.environmentFile, environment.description ?? ""], width, glyphs),
    ...wrapParts(
      [
        `k3s ${versions.k3s.version}`,
        `Flatcar ${versions.flatcar.channel} ${versions.flatcar.version}`,
        `${plan.nodes.length} node${plan.nodes.length === 1 ? "" : "s"}`,
        ...extra,
      ],
      width,
      glyphs,
    ),
  ];
}

/**
 * Several hosts: one host frame per host, in placement order, each with its libvirt (URI, pool,
 * bridge) and the node boxes placed on it; the nodes of one L2 segment share the network line.
 */
function drawHosts(
  input: DiagramInput,
  glyphs: Glyphs,
  nodeBoxes: readonly { readonly node: NodePlan; readonly lines: readonly string[] }[],
  nodeInner: number,
  nodeWidth: number,
  width: number,
): string {
  const { plan } = input;
  const frames = plan.hosts.map((host) => {
    const onHost = nodeBoxes.filter(({ node }) => node.host === host.name);
    return { host, onHost, libvirt: libvirtLines(input, glyphs, host) };
  });
  const widestGroup = Math.max(
    1,
    ...frames.flatMap(({ onHost }) =>
      (["server", "agent"] as const).map((role) => onHost.filter(({ node }) => node.role === role).length),
    ),
  );
  const boxesPerRow = Math.min(widestGroup, 4);
  const wanted = Math.max(
    ...frames.flatMap(({ libvirt }) => libvirt.map(columns)),
    nodeWidth * boxesPerRow + GAP * (boxesPerRow - 1),
  );
  const libvirtInner = Math.max(nodeWidth, Math.min(wanted, width - 8));
  const hostInner = libvirtInner + 4;
  const body: string[] = [];
  for (const { host, onHost, libvirt } of frames) {
    const groups: string[] = [];
    for (const role of ["server", "agent"] as const) {
      const members = onHost.filter(({ node }) => node.role === role);
      if (members.length === 0) continue;
      if (groups.length > 0) groups.push("");
      groups.push(`${role === "server" ? "servers" : "agents"} (${members.length})`);
      groups.push(
        ...arrange(
          members.map(({ node, lines }) => box(node.name, [...lines], nodeInner, glyphs)),
          nodeWidth,
          libvirtInner,
        ),
      );
    }
    if (groups.length === 0) groups.push("no nodes");
    const libvirtBox = box(
      `libvirt ${glyphs.dot} ${host.uri}`,
      [...libvirt, "", ...groups],
      libvirtInner,
      glyphs,
    );
    body.push(
      ...box(`${host.name} ${glyphs.dot} ${hypervisorHost(host.uri)}`, libvirtBox, hostInner, glyphs),
    );
  }
  const header = headerLines(input, hostInner + 4, glyphs, [`${plan.hosts.length} hosts`]);
  return `${[...header, ...body].join("\n")}\n`;
}
