import { isMap, isScalar, isSeq, type Node, parseAllDocuments } from "yaml";

/**
 * Secret masking. Every text that a diff shows passes through here first: the secret parts of a
 * file are found as character ranges (by rules per path and content, and every occurrence of a
 * secret the caller names), each range is shown as `«secret»`, and lines are compared on their
 * original text, so an unchanged secret is no change and a changed one is noticed without either
 * value being shown. A final scrub of every output string with the caller's secrets is the safety
 * net for anything a rule did not foresee.
 */

export const SECRET_MASK = "«secret»";
export const CHANGED_SECRET_MASK = "«secret changed»";

/** Files that are secret as a whole: never shown, not even their size or hash. */
const WHOLE_FILE_SECRETS: readonly RegExp[] = [
  // k3s's node password, which the server checks on every join.
  /^\/etc\/rancher\/node\/password$/,
  // k3s's token files on a server.
  /^\/var\/lib\/rancher\/k3s\/server\/(?:token|agent-token|node-token)$/,
  // SSH host private keys (the .pub halves are public).
  /^\/etc\/ssh\/ssh_host_[^/]*_key$/,
  /\.key$/,
];

export function isWholeFileSecret(path: string): boolean {
  return WHOLE_FILE_SECRETS.some((pattern) => pattern.test(path));
}

/** k3s's config file and its drop-in directory (k3s reads `config.yaml.d/*.yaml` after it). */
const K3S_CONFIG = /^\/etc\/rancher\/k3s\/config\.yaml(?:\.d\/[^/]+\.ya?ml)?$/;

/**
 * config.yaml keys whose values are credentials, from k3s v1.34.10+k3s1's flags
 * (src/k3s/flags-v1.34.10+k3s1.json: `token` with its alias `t`, `agent-token`, the datastore
 * endpoint, which carries the database password, the etcd S3 keys, `vpn-auth`). A trailing `+`
 * is k3s's "append" form of a key.
 */
const K3S_SECRET_KEYS = new Set([
  "token",
  "t",
  "agent-token",
  "datastore-endpoint",
  "etcd-s3-access-key",
  "etcd-s3-secret-key",
  "etcd-s3-session-token",
  "vpn-auth",
]);

/** A private key in PEM armour (OpenSSH, PKCS#1/#8, EC, encrypted, PGP), terminated or not. */
const PEM_PRIVATE_KEY =
  /-----BEGIN ([A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?)-----([\s\S]*?)(?:-----END \1-----|$(?![\s\S]))/g;

/** `K3S_TOKEN=…` style assignments (environment files, unit `Environment=`) and `--token …` flags. */
const ASSIGNED_SECRET =
  /\b(?:K3S_TOKEN|K3S_AGENT_TOKEN|K3S_DATASTORE_ENDPOINT|K3S_NODE_PASSWORD)=("[^"\n]*"|'[^'\n]*'|[^\s"']+)|--(?:token|agent-token|datastore-endpoint|vpn-auth|etcd-s3-secret-key)(?:=|\s+)("[^"\n]*"|'[^'\n]*'|[^\s"']+)/g;

/** A Kubernetes Secret somewhere in a YAML or JSON text (cheap test before parsing). */
const MENTIONS_SECRET_KIND = /["']?kind["']?\s*:\s*["']?Secret\b/;

/** Half-open character range `[start, end)` of a secret in a text. */
export interface SecretRange {
  readonly start: number;
  readonly end: number;
}

/**
 * The caller's secrets (k3s token, node passwords, private keys): every occurrence of each, also
 * percent-encoded, JSON-escaped or base64-encoded, and each long line of a multi-line secret.
 */
export class SecretList {
  private readonly pattern: RegExp | undefined;

  constructor(secrets: readonly string[]) {
    const forms = new Set<string>();
    for (const raw of secrets) {
      // Surrounding whitespace (a key file's final newline) is not the secret part.
      const secret = raw.trim();
      if (secret.length === 0) continue;
      forms.add(secret);
      forms.add(encodeURIComponent(secret));
      forms.add(JSON.stringify(secret).slice(1, -1));
      if (secret.length >= 8) forms.add(Buffer.from(secret).toString("base64").replace(/=+$/, ""));
      if (secret.includes("\n")) {
        for (const line of secret.split(/\r?\n/)) {
          const trimmed = line.trim();
          if (trimmed.length >= 16 && !trimmed.startsWith("-----")) forms.add(trimmed);
        }
      }
    }
    const sorted = [...forms].filter((form) => form.length > 0).sort((a, b) => b.length - a.length);
    this.pattern = sorted.length === 0 ? undefined : new RegExp(sorted.map(escapeRegExp).join("|"), "g");
  }

  get isEmpty(): boolean {
    return this.pattern === undefined;
  }

  ranges(text: string): SecretRange[] {
    if (this.pattern === undefined) return [];
    const out: SecretRange[] = [];
    for (const match of text.matchAll(this.pattern))
      out.push({ start: match.index, end: match.index + match[0].length });
    return out;
  }

  /** The text with every occurrence replaced by the mask. */
  scrub(text: string): string {
    return this.pattern === undefined ? text : text.replace(this.pattern, SECRET_MASK);
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/-]/g, "\\$&");
}

/** Every secret range of a file's (or unit's) text, by path rules, content rules and the caller's list. */
export function secretRanges(path: string, text: string, secrets: SecretList): SecretRange[] {
  const ranges = secrets.ranges(text);
  for (const match of text.matchAll(PEM_PRIVATE_KEY)) {
    const armour = match[0].indexOf("-----", 5) + 5;
    const bodyEnd = match.index + armour + match[2]!.length;
    ranges.push(trimmed(text, { start: match.index + armour, end: bodyEnd }));
  }
  for (const match of text.matchAll(ASSIGNED_SECRET)) {
    const value = match[1] ?? match[2]!;
    const end = match.index + match[0].length;
    ranges.push({ start: end - value.length, end });
  }
  if (K3S_CONFIG.test(path)) ranges.push(...yamlValueRanges(text, k3sSecretValues));
  if (MENTIONS_SECRET_KIND.test(text)) ranges.push(...yamlValueRanges(text, kubernetesSecretValues));
  return mergeRanges(ranges.filter((range) => range.end > range.start));
}

/** Without surrounding whitespace, so a masked block does not swallow the line break after it. */
function trimmed(text: string, range: SecretRange): SecretRange {
  let { start, end } = range;
  while (start < end && /\s/.test(text[start]!)) start++;
  while (end > start && /\s/.test(text[end - 1]!)) end--;
  return { start, end };
}

type YamlVisitor = (node: Node, push: (node: Node | null | undefined) => void) => void;

/** Ranges of the YAML nodes a visitor picks; the whole text when the YAML cannot be parsed. */
function yamlValueRanges(text: string, visit: YamlVisitor): SecretRange[] {
  const out: SecretRange[] = [];
  const documents = parseAllDocuments(text);
  const list = Array.isArray(documents) ? documents : [];
  if (list.some((document) => document.errors.length > 0)) return [{ start: 0, end: text.length }];
  const push = (node: Node | null | undefined) => {
    if (node?.range) out.push(trimmed(text, { start: node.range[0], end: node.range[1] }));
  };
  for (const document of list) if (document.contents) visit(document.contents, push);
  return out;
}

const k3sSecretValues: YamlVisitor = (root, push) => {
  if (!isMap(root)) return;
  for (const pair of root.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : "";
    if (K3S_SECRET_KEYS.has(key.replace(/\+$/, ""))) push(pair.value as Node | null);
  }
};

/** The values under `data` and `stringData` of every map with `kind: Secret`, at any depth (Lists too). */
const kubernetesSecretValues: YamlVisitor = (root, push) => {
  const walk = (node: Node | null | undefined): void => {
    if (isSeq(node)) {
      for (const item of node.items) walk(item as Node);
      return;
    }
    if (!isMap(node)) return;
    const kind = node.items.find((pair) => isScalar(pair.key) && pair.key.value === "kind");
    const isSecret = isScalar(kind?.value) && kind.value.value === "Secret";
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? pair.key.value : undefined;
      const value = pair.value as Node | null;
      if (isSecret && (key === "data" || key === "stringData")) {
        if (isMap(value)) for (const entry of value.items) push(entry.value as Node | null);
        else push(value);
      } else {
        walk(value);
      }
    }
  };
  walk(root);
};

function mergeRanges(ranges: SecretRange[]): SecretRange[] {
  ranges.sort((a, b) => a.start - b.start || a.end - b.end);
  const out: SecretRange[] = [];
  for (const range of ranges) {
    const last = out.at(-1);
    if (last !== undefined && range.start <= last.end) {
      out[out.length - 1] = { start: last.start, end: Math.max(last.end, range.end) };
    } else out.push(range);
  }
  return out;
}

/**
 * One line as a diff shows it. A secret that spans line breaks joins the lines it covers into
 * one shown line. `key` is the original text (with its line break), used only for comparing and
 * never output; `secrets` likewise, to tell a changed secret from an unchanged one.
 */
export interface MaskedLine {
  readonly shown: string;
  readonly key: string;
  readonly secrets: readonly string[];
  /** Original lines this shown line covers (for hunk line numbers). */
  readonly lines: number;
  /** The text ends here without a final line break. */
  readonly noNewline: boolean;
}

/** Splits a text into masked lines. */
export function maskedLines(text: string, ranges: readonly SecretRange[]): MaskedLine[] {
  const out: MaskedLine[] = [];
  let position = 0;
  let rangeIndex = 0;
  while (position < text.length) {
    const first = rangeIndex;
    let end = position;
    let lines = 0;
    // Extend over line breaks that fall inside a secret range.
    for (;;) {
      const newline = text.indexOf("\n", end);
      lines++;
      end = newline < 0 ? text.length : newline + 1;
      if (newline < 0) break;
      // Ranges are sorted and disjoint: only the first one not ending before the break can hold it.
      while (rangeIndex < ranges.length && ranges[rangeIndex]!.end < end) rangeIndex++;
      const candidate = ranges[rangeIndex];
      if (candidate === undefined || candidate.start >= end) break;
    }
    const key = text.slice(position, end);
    const noNewline = !key.endsWith("\n");
    const content = noNewline ? key : key.slice(0, -1);
    let shown = "";
    let cursor = position;
    const secrets: string[] = [];
    for (let i = first; i < ranges.length && ranges[i]!.start < position + content.length; i++) {
      const range = ranges[i]!;
      const start = Math.max(range.start, position);
      const stop = Math.min(range.end, position + content.length);
      if (stop <= start) continue;
      shown += text.slice(cursor, start) + SECRET_MASK;
      secrets.push(text.slice(start, stop));
      cursor = stop;
    }
    shown += text.slice(cursor, position + content.length);
    out.push({ shown, key, secrets, lines, noNewline });
    position = end;
  }
  return out;
}

/** The secret values of a text, sorted, to tell whether a file's secrets changed. */
export function secretValues(text: string, ranges: readonly SecretRange[]): string[] {
  return ranges.map((range) => text.slice(range.start, range.end)).sort();
}
