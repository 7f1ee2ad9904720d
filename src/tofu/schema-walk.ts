/**
 * Checks a `*.tf.json` document against a provider attribute schema in the format of
 * `test/fixtures/libvirt-provider-0.9.7/schema.json` (see the README next to it, "How a test
 * walks a .tf.json resource body"): no unknown attribute, no object where a list belongs, no
 * missing required attribute, no read-only attribute set. Every problem is reported, not just
 * the first. Expressions (`${…}`) and nulls are accepted without looking inside.
 *
 * Provider blocks are walked against `provider_config` (one object, or a list of them with
 * `alias`, as JSON writes several configurations of one provider), and every resource's
 * `provider` meta-argument must name a configuration the document declares.
 */

export interface SchemaNode {
  readonly type: string;
  readonly required: boolean;
  readonly optional: boolean;
  readonly computed: boolean;
  readonly attributes?: Readonly<Record<string, SchemaNode>>;
}

export interface ProviderSchema {
  readonly resources: Readonly<Record<string, { readonly attributes: Readonly<Record<string, SchemaNode>> }>>;
  readonly data_sources: Readonly<
    Record<string, { readonly attributes: Readonly<Record<string, SchemaNode>> }>
  >;
  /** The provider block's attributes (`uri` for libvirt). */
  readonly provider_config?: { readonly attributes: Readonly<Record<string, SchemaNode>> };
}

/** The local name the walked provider is required under (`libvirt`). */
const PROVIDER_NAME = "libvirt";

/** Meta-arguments of a provider block: never the provider's own attributes. */
const PROVIDER_META = new Set(["alias", "version"]);

export interface SchemaProblem {
  /** e.g. `libvirt_domain.node.devices.disks[0].source.volum` */
  readonly path: string;
  readonly message: string;
}

const META_ARGUMENTS = new Set([
  "count",
  "for_each",
  "provider",
  "depends_on",
  "lifecycle",
  "provisioner",
  "connection",
]);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isExpressionOrNull(value: unknown): boolean {
  return value === null || (typeof value === "string" && value.includes("${"));
}

function readOnly(node: SchemaNode): boolean {
  return node.computed && !node.required && !node.optional;
}

function jsonTypeOf(value: unknown): string {
  if (Array.isArray(value)) return "array";
  if (value === null) return "null";
  return typeof value;
}

/** The element type of `list(x)` / `set(x)`, or undefined for anything else. */
function collectionElement(type: string): string | undefined {
  const match = /^(?:list|set)\((.+)\)$/.exec(type);
  return match?.[1];
}

function scalarMatches(type: string, value: unknown): boolean {
  switch (type) {
    case "string":
      return typeof value === "string";
    case "number":
      return typeof value === "number";
    case "bool":
      return typeof value === "boolean";
    default:
      return false;
  }
}

function walkValue(node: SchemaNode, value: unknown, path: string, problems: SchemaProblem[]): void {
  if (isExpressionOrNull(value)) return;
  if (node.type === "object") {
    if (!isPlainObject(value)) {
      problems.push({ path, message: `expected an object, found ${jsonTypeOf(value)}` });
      return;
    }
    walkObject(node.attributes ?? {}, value, path, problems, false);
    return;
  }
  const element = collectionElement(node.type);
  if (element !== undefined) {
    if (!Array.isArray(value)) {
      const what = element === "object" ? "a list of objects" : `a list of ${element}`;
      problems.push({ path, message: `expected ${what}, found ${jsonTypeOf(value)}` });
      return;
    }
    value.forEach((item, index) => {
      const itemPath = `${path}[${index}]`;
      if (element === "object") {
        if (isExpressionOrNull(item)) return;
        if (!isPlainObject(item)) {
          problems.push({ path: itemPath, message: `expected an object, found ${jsonTypeOf(item)}` });
          return;
        }
        walkObject(node.attributes ?? {}, item, itemPath, problems, false);
      } else if (!isExpressionOrNull(item) && !scalarMatches(element, item)) {
        problems.push({ path: itemPath, message: `expected ${element}, found ${jsonTypeOf(item)}` });
      }
    });
    return;
  }
  if (!scalarMatches(node.type, value)) {
    problems.push({ path, message: `expected ${node.type}, found ${jsonTypeOf(value)}` });
  }
}

function walkObject(
  attributes: Readonly<Record<string, SchemaNode>>,
  body: Readonly<Record<string, unknown>>,
  path: string,
  problems: SchemaProblem[],
  topLevel: boolean,
): void {
  for (const [key, value] of Object.entries(body)) {
    if (key === "//") continue;
    if (topLevel && META_ARGUMENTS.has(key)) continue;
    const childPath = `${path}.${key}`;
    const node = Object.hasOwn(attributes, key) ? attributes[key] : undefined;
    if (!node) {
      problems.push({ path: childPath, message: "unknown attribute" });
      continue;
    }
    if (readOnly(node)) {
      problems.push({ path: childPath, message: "sets a read-only (computed) attribute" });
      continue;
    }
    walkValue(node, value, childPath, problems);
  }
  for (const [name, node] of Object.entries(attributes)) {
    if (node.required && !Object.hasOwn(body, name)) {
      problems.push({ path: `${path}.${name}`, message: "missing required attribute" });
    }
  }
}

/**
 * The provider configurations a document declares (`libvirt`, `libvirt.hv1`, …), with the
 * problems of each block. No block at all declares the implied empty default configuration.
 */
function walkProviders(
  document: Readonly<Record<string, unknown>>,
  schema: ProviderSchema,
  problems: SchemaProblem[],
): Set<string> {
  const declared = new Set<string>();
  const providers = document.provider;
  if (providers === undefined) {
    declared.add(PROVIDER_NAME);
    return declared;
  }
  if (!isPlainObject(providers)) {
    problems.push({ path: "provider", message: "expected an object of provider names" });
    return declared;
  }
  const blocks = providers[PROVIDER_NAME];
  if (blocks === undefined) declared.add(PROVIDER_NAME);
  const list = Array.isArray(blocks) ? blocks : blocks === undefined ? [] : [blocks];
  list.forEach((block, index) => {
    const path = Array.isArray(blocks) ? `provider.${PROVIDER_NAME}[${index}]` : `provider.${PROVIDER_NAME}`;
    if (!isPlainObject(block)) {
      problems.push({ path, message: "expected a provider block (a JSON object)" });
      return;
    }
    const alias = block.alias;
    if (alias !== undefined && (typeof alias !== "string" || !/^[A-Za-z_][A-Za-z0-9_-]*$/.test(alias))) {
      problems.push({ path: `${path}.alias`, message: "an alias must be an identifier" });
      return;
    }
    const name = alias === undefined ? PROVIDER_NAME : `${PROVIDER_NAME}.${alias}`;
    if (declared.has(name)) problems.push({ path, message: `duplicate provider configuration ${name}` });
    declared.add(name);
    const attributes = schema.provider_config?.attributes;
    if (attributes === undefined) return;
    const own = Object.fromEntries(Object.entries(block).filter(([key]) => !PROVIDER_META.has(key)));
    walkObject(attributes, own, path, problems, false);
  });
  return declared;
}

/** Walks every `resource` and `data` block and the provider blocks of a parsed `*.tf.json` document. */
export function walkTfJson(document: unknown, schema: ProviderSchema): SchemaProblem[] {
  const problems: SchemaProblem[] = [];
  if (!isPlainObject(document)) return [{ path: "", message: "a .tf.json document must be a JSON object" }];
  const declared = walkProviders(document, schema, problems);
  const groups: ReadonlyArray<readonly [string, "resources" | "data_sources", string]> = [
    ["resource", "resources", ""],
    ["data", "data_sources", "data."],
  ];
  for (const [key, group, prefix] of groups) {
    const blocks = document[key];
    if (blocks === undefined) continue;
    if (!isPlainObject(blocks)) {
      problems.push({ path: key, message: "expected an object of block types" });
      continue;
    }
    for (const [type, named] of Object.entries(blocks)) {
      const definition = Object.hasOwn(schema[group], type) ? schema[group][type] : undefined;
      if (!definition) {
        problems.push({
          path: `${prefix}${type}`,
          message: `unknown ${key === "data" ? "data source" : "resource"} type`,
        });
        continue;
      }
      if (!isPlainObject(named)) {
        problems.push({ path: `${prefix}${type}`, message: "expected an object of named blocks" });
        continue;
      }
      for (const [name, body] of Object.entries(named)) {
        const path = `${prefix}${type}.${name}`;
        if (!isPlainObject(body)) {
          problems.push({ path, message: "expected a block body (a JSON object)" });
          continue;
        }
        walkObject(definition.attributes, body, path, problems, true);
        const provider = body.provider;
        if (provider !== undefined && (typeof provider !== "string" || !declared.has(provider)))
          problems.push({
            path: `${path}.provider`,
            message: `names provider configuration ${String(provider)}, which the document does not declare`,
          });
        if (provider === undefined && !declared.has(PROVIDER_NAME))
          problems.push({
            path,
            message: `uses the default provider configuration ${PROVIDER_NAME}, which the document does not declare`,
          });
      }
    }
  }
  return problems;
}
