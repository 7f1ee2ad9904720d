/**
 * Just enough XML reading for the documents libvirt itself generates (pool-dumpxml,
 * net-dumpxml): known element names, no namespaces, entities limited to the five predefined.
 */

const ENTITIES: Readonly<Record<string, string>> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

export function decodeXmlText(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-f]+);/gi, (_match, entity: string) => {
    if (entity.startsWith("#x") || entity.startsWith("#X"))
      return String.fromCodePoint(Number.parseInt(entity.slice(2), 16));
    if (entity.startsWith("#")) return String.fromCodePoint(Number.parseInt(entity.slice(1), 10));
    return ENTITIES[entity.toLowerCase()] ?? "";
  });
}

/** The body of the first `<name …>…</name>` element inside `xml`, or undefined. */
export function elementBody(xml: string, name: string): string | undefined {
  const match = new RegExp(`<${name}(\\s[^>]*)?>([\\s\\S]*?)</${name}>`).exec(xml);
  return match?.[2];
}

/** Text of a nested element path such as ["target", "path"], entity-decoded and trimmed. */
export function elementText(xml: string, path: readonly string[]): string | undefined {
  let scope: string | undefined = xml;
  for (const name of path) {
    if (scope === undefined) return undefined;
    scope = elementBody(scope, name);
  }
  return scope === undefined ? undefined : decodeXmlText(scope.trim());
}

/** Attributes of every `<name …/>` or `<name …>` start tag, in document order. */
export function startTags(xml: string, name: string): Record<string, string>[] {
  const tags: Record<string, string>[] = [];
  for (const match of xml.matchAll(
    new RegExp(`<${name}((?:\\s+[\\w:-]+\\s*=\\s*(?:"[^"]*"|'[^']*'))*)\\s*/?>`, "g"),
  )) {
    const attributes: Record<string, string> = {};
    for (const attribute of (match[1] ?? "").matchAll(/([\w:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) {
      attributes[attribute[1] ?? ""] = decodeXmlText(attribute[2] ?? attribute[3] ?? "");
    }
    tags.push(attributes);
  }
  return tags;
}
