import { isMap, isScalar, parseAllDocuments } from "yaml";
import { canonicalJson } from "./read.js";

/**
 * Which settings of a changed text file differ, for the one-line summary ("config.yaml changed
 * (server)"): top-level keys of a YAML or JSON mapping, `Kind/name` of the Kubernetes objects of a
 * manifest, `KEY` of an environment file, `Section.Key` of a systemd unit or other INI file.
 * Names only: values are never part of the result. `undefined` when the format is not one of these.
 */
export function changedKeys(path: string, before: string, after: string): string[] | undefined {
  const parsers = /\.(?:ya?ml|json)$/i.test(path) ? [yamlEntries] : [envEntries, iniEntries];
  for (const parse of parsers) {
    const a = parse(before);
    const b = parse(after);
    if (a === undefined || b === undefined) continue;
    const keys = new Set([...a.keys(), ...b.keys()]);
    return [...keys].filter((key) => a.get(key) !== b.get(key)).sort(compareText);
  }
  return undefined;
}

export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function yamlEntries(text: string): Map<string, string> | undefined {
  const documents = parseAllDocuments(text);
  if (!Array.isArray(documents) || documents.some((document) => document.errors.length > 0)) return undefined;
  const out = new Map<string, string>();
  const objects = documents.filter((document) => document.contents !== null);
  const isManifest = objects.length > 0 && objects.every((document) => document.has("kind"));
  if (isManifest) {
    for (const document of objects) {
      const name = document.getIn(["metadata", "name"]);
      const namespace = document.getIn(["metadata", "namespace"]);
      const id = `${String(document.get("kind"))}/${namespace ? `${String(namespace)}/` : ""}${String(name ?? "")}`;
      out.set(id, canonicalJson(document.toJS()));
    }
    return out;
  }
  if (objects.length !== 1 || !isMap(objects[0]!.contents)) return objects.length === 0 ? out : undefined;
  for (const pair of objects[0]!.contents.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
    out.set(key, canonicalJson((pair.value as { toJSON?: () => unknown } | null)?.toJSON?.() ?? pair.value));
  }
  return out;
}

const COMMENT_OR_BLANK = /^\s*(?:[#;].*)?$/;

function envEntries(text: string): Map<string, string> | undefined {
  const out = new Map<string, string>();
  for (const line of text.split("\n")) {
    if (COMMENT_OR_BLANK.test(line)) continue;
    const match = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (match === null) return undefined;
    out.set(match[1]!, match[2]!);
  }
  return out.size === 0 ? undefined : out;
}

/** systemd-style INI: repeated keys (ExecStartPre=) compare as the list of their values. */
function iniEntries(text: string): Map<string, string> | undefined {
  const out = new Map<string, string>();
  let section = "";
  let sawSection = false;
  for (const line of text.split("\n")) {
    if (COMMENT_OR_BLANK.test(line)) continue;
    const header = /^\s*\[([^\]]+)\]\s*$/.exec(line);
    if (header !== null) {
      section = header[1]!;
      sawSection = true;
      continue;
    }
    const match = /^\s*([^=\s][^=]*?)\s*=\s?(.*)$/.exec(line);
    if (match === null || !sawSection) return undefined;
    const key = `${section}.${match[1]!}`;
    const previous = out.get(key);
    out.set(key, previous === undefined ? match[2]! : `${previous}\n${match[2]!}`);
  }
  return sawSection ? out : undefined;
}
