/**
 * Reads the part of an OpenTofu/Terraform CLI configuration file (`~/.tofurc`, `~/.terraformrc`,
 * `$TF_CLI_CONFIG_FILE`) that decides where `init` installs providers from: `plugin_cache_dir`
 * and the `provider_installation` block with its `filesystem_mirror`, `network_mirror` and
 * `direct` methods (https://opentofu.org/docs/cli/config/config-file/). The file is HCL (or JSON
 * when its name ends in `.json`); this reads the subset those settings are written in —
 * attributes, blocks, strings, lists, comments — and reports anything else as unreadable rather
 * than guessing.
 */

export type InstallationMethod =
  | {
      readonly kind: "filesystem_mirror";
      readonly path: string;
      readonly include: readonly string[];
      readonly exclude: readonly string[];
    }
  | {
      readonly kind: "network_mirror";
      readonly url: string;
      readonly include: readonly string[];
      readonly exclude: readonly string[];
    }
  | { readonly kind: "direct"; readonly include: readonly string[]; readonly exclude: readonly string[] };

export interface CliConfig {
  readonly pluginCacheDir: string | undefined;
  /** Undefined without a `provider_installation` block: the implied methods apply. */
  readonly installation: readonly InstallationMethod[] | undefined;
}

type HclValue = string | number | boolean | null | readonly HclValue[] | { readonly [key: string]: HclValue };
interface HclBlock {
  readonly type: string;
  readonly labels: readonly string[];
  readonly body: HclBody;
}
interface HclBody {
  readonly attributes: ReadonlyMap<string, HclValue>;
  readonly blocks: readonly HclBlock[];
}

export class CliConfigSyntaxError extends Error {}

type Token =
  | { kind: "ident"; text: string; at: number }
  | { kind: "string"; text: string; at: number }
  | { kind: "number"; text: string; at: number }
  | { kind: "punct"; text: string; at: number };

function lineOf(text: string, at: number): number {
  return text.slice(0, at).split("\n").length;
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let index = 0;
  const fail = (message: string): never => {
    throw new CliConfigSyntaxError(`line ${lineOf(text, index)}: ${message}`);
  };
  while (index < text.length) {
    const char = text[index] ?? "";
    if (/\s/.test(char)) {
      index++;
    } else if (char === "#" || text.startsWith("//", index)) {
      while (index < text.length && text[index] !== "\n") index++;
    } else if (text.startsWith("/*", index)) {
      const end = text.indexOf("*/", index + 2);
      if (end < 0) fail("unterminated /* comment");
      index = end + 2;
    } else if (char === '"') {
      const start = index++;
      let value = "";
      for (;;) {
        const next = text[index];
        if (next === undefined || next === "\n") fail("unterminated string");
        index++;
        if (next === '"') break;
        if (next === "\\") {
          const escaped = text[index++];
          const simple: Record<string, string> = { n: "\n", t: "\t", r: "\r", '"': '"', "\\": "\\" };
          if (escaped !== undefined && simple[escaped] !== undefined) value += simple[escaped];
          else fail(`unsupported escape \\${escaped ?? ""}`);
        } else value += next;
      }
      tokens.push({ kind: "string", text: value, at: start });
    } else if (text.startsWith("<<", index)) {
      fail("heredoc strings are not supported here");
    } else if (/[A-Za-z_]/.test(char)) {
      const match = /^[A-Za-z_][A-Za-z0-9_.-]*/.exec(text.slice(index));
      tokens.push({ kind: "ident", text: match?.[0] ?? char, at: index });
      index += match?.[0].length ?? 1;
    } else if (/[0-9]/.test(char)) {
      const match = /^[0-9]+(\.[0-9]+)?/.exec(text.slice(index));
      tokens.push({ kind: "number", text: match?.[0] ?? char, at: index });
      index += match?.[0].length ?? 1;
    } else if ("{}[]=,:".includes(char)) {
      tokens.push({ kind: "punct", text: char, at: index++ });
    } else {
      fail(`unexpected ${JSON.stringify(char)}`);
    }
  }
  return tokens;
}

function parseHcl(text: string): HclBody {
  const tokens = tokenize(text);
  let position = 0;
  const peek = (): Token | undefined => tokens[position];
  const fail = (message: string, token = tokens[position]): never => {
    throw new CliConfigSyntaxError(
      `line ${token ? lineOf(text, token.at) : lineOf(text, text.length)}: ${message}`,
    );
  };
  const expect = (punct: string): void => {
    const token = peek();
    if (token?.kind !== "punct" || token.text !== punct) fail(`expected "${punct}"`, token);
    position++;
  };
  const value = (): HclValue => {
    const token = peek();
    if (!token) return fail("expected a value");
    if (token.kind === "string") {
      position++;
      return token.text;
    }
    if (token.kind === "number") {
      position++;
      return Number(token.text);
    }
    if (token.kind === "ident") {
      position++;
      if (token.text === "true" || token.text === "false") return token.text === "true";
      if (token.text === "null") return null;
      return fail(`expressions such as ${token.text} are not supported here`, token);
    }
    if (token.text === "[") {
      position++;
      const items: HclValue[] = [];
      while (peek()?.text !== "]") {
        items.push(value());
        if (peek()?.text === ",") position++;
        else break;
      }
      expect("]");
      return items;
    }
    if (token.text === "{") {
      position++;
      const object: Record<string, HclValue> = {};
      while (peek()?.text !== "}") {
        const key = peek();
        if (key?.kind !== "ident" && key?.kind !== "string") return fail("expected a key", key);
        position++;
        const separator = peek();
        if (separator?.text !== "=" && separator?.text !== ":") return fail('expected "=" or ":"', separator);
        position++;
        object[key.text] = value();
        if (peek()?.text === ",") position++;
      }
      expect("}");
      return object;
    }
    return fail(`unexpected "${token.text}"`, token);
  };
  const body = (closing: string | undefined): HclBody => {
    const attributes = new Map<string, HclValue>();
    const blocks: HclBlock[] = [];
    for (;;) {
      const token = peek();
      if (token === undefined) {
        if (closing) fail(`expected "${closing}"`);
        return { attributes, blocks };
      }
      if (closing && token.kind === "punct" && token.text === closing) {
        position++;
        return { attributes, blocks };
      }
      if (token.kind !== "ident") return fail("expected an attribute or a block", token);
      position++;
      const next = peek();
      if (next?.kind === "punct" && next.text === "=") {
        position++;
        attributes.set(token.text, value());
        continue;
      }
      const labels: string[] = [];
      while (peek()?.kind === "string" || peek()?.kind === "ident") {
        labels.push(peek()?.text ?? "");
        position++;
      }
      expect("{");
      blocks.push({ type: token.text, labels, body: body("}") });
    }
  };
  return body(undefined);
}

/** JSON CLI configuration: objects become blocks (or arrays of blocks), the rest attributes. */
function bodyFromJson(value: unknown): HclBody {
  const attributes = new Map<string, HclValue>();
  const blocks: HclBlock[] = [];
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new CliConfigSyntaxError("the top level is not an object");
  for (const [key, item] of Object.entries(value)) {
    const entries =
      Array.isArray(item) &&
      item.every((entry) => typeof entry === "object" && entry !== null && !Array.isArray(entry)) &&
      key !== "include" &&
      key !== "exclude"
        ? item
        : [item];
    for (const entry of entries) {
      if (typeof entry === "object" && entry !== null && !Array.isArray(entry))
        blocks.push({ type: key, labels: [], body: bodyFromJson(entry) });
      else attributes.set(key, entry as HclValue);
    }
  }
  return { attributes, blocks };
}

function strings(value: HclValue | undefined): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === "string") : [];
}

/** Expands `$NAME`, `${NAME}` and a leading `~/`, as the CLI does for paths in this file. */
export function expandConfigPath(
  path: string,
  env: Readonly<Record<string, string | undefined>>,
  home: string,
): string {
  const expanded = path.replace(
    /\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (_, braced, bare) => env[braced ?? bare] ?? "",
  );
  return expanded.startsWith("~/") ? `${home}${expanded.slice(1)}` : expanded;
}

/**
 * Parses a CLI configuration. Throws CliConfigSyntaxError (with the line) for anything outside
 * the subset described at the top of this file.
 */
export function parseCliConfig(
  text: string,
  options: {
    readonly json: boolean;
    readonly env: Readonly<Record<string, string | undefined>>;
    readonly home: string;
  },
): CliConfig {
  let body: HclBody;
  if (options.json) {
    try {
      body = bodyFromJson(JSON.parse(text));
    } catch (error) {
      throw error instanceof CliConfigSyntaxError
        ? error
        : new CliConfigSyntaxError((error as Error).message);
    }
  } else body = parseHcl(text);
  const expand = (path: string) => expandConfigPath(path, options.env, options.home);
  const cache = body.attributes.get("plugin_cache_dir");
  const installationBlocks = body.blocks.filter((block) => block.type === "provider_installation");
  let installation: InstallationMethod[] | undefined;
  if (installationBlocks.length > 0) {
    installation = [];
    for (const block of installationBlocks) {
      for (const method of block.body.blocks) {
        const include = strings(method.body.attributes.get("include"));
        const exclude = strings(method.body.attributes.get("exclude"));
        const path = method.body.attributes.get("path");
        const url = method.body.attributes.get("url");
        if (method.type === "filesystem_mirror" && typeof path === "string")
          installation.push({ kind: "filesystem_mirror", path: expand(path), include, exclude });
        else if (method.type === "network_mirror" && typeof url === "string")
          installation.push({ kind: "network_mirror", url, include, exclude });
        else if (method.type === "direct") installation.push({ kind: "direct", include, exclude });
        // dev_overrides and unknown blocks do not install providers.
      }
    }
  }
  return {
    pluginCacheDir: typeof cache === "string" && cache !== "" ? expand(cache) : undefined,
    installation,
  };
}
