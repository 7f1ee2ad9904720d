import type { YamlNode } from "./yaml/node.js";

/** One step of a config path: a field name, a list index, or a mapping key itself. */
export type PathElement = string | number | KeyElement;

/** Points at a mapping key rather than its value (used for "Unused key" warnings). */
export interface KeyElement {
  readonly key: string;
}

export type DiagnosticKind = "error" | "warning" | "info";

/** A report entry as the reference builds it: a path in the YAML (or JSON) tree and a message. */
export interface ReportEntry {
  readonly kind: DiagnosticKind;
  readonly message: string;
  readonly path: readonly PathElement[];
  /** "json" while the path still names the generated Ignition config. */
  readonly space: "yaml" | "json";
}

export class Report {
  readonly entries: ReportEntry[] = [];

  error(path: readonly PathElement[], message: string, space: "yaml" | "json" = "yaml"): void {
    this.entries.push({ kind: "error", message, path, space });
  }

  warn(path: readonly PathElement[], message: string, space: "yaml" | "json" = "yaml"): void {
    this.entries.push({ kind: "warning", message, path, space });
  }

  merge(other: Report): void {
    this.entries.push(...other.entries);
  }

  isFatal(): boolean {
    return this.entries.some((e) => e.kind === "error");
  }
}

export function isKeyElement(e: PathElement): e is KeyElement {
  return typeof e === "object";
}

/** `$.storage.files.0.path`, the way vcontext prints a path. */
export function formatPath(path: readonly PathElement[]): string {
  let out = "$";
  for (const e of path) out += `.${isKeyElement(e) ? e.key : String(e)}`;
  return out;
}

/**
 * The node a path points at, or its deepest existing ancestor (vcontext `Correlate`): the
 * position reported for a diagnostic whose path does not exist in the source, such as a
 * missing field, is that of the closest enclosing node.
 */
export function locate(
  root: YamlNode | undefined,
  path: readonly PathElement[],
): { line: number; column: number } | undefined {
  if (!root) return undefined;
  let node: YamlNode = root;
  for (const element of path) {
    const next = child(node, element);
    if (!next) break;
    node = next;
  }
  return { line: node.line, column: node.column };
}

function child(node: YamlNode, element: PathElement): YamlNode | undefined {
  if (node.kind === "mapping") {
    if (typeof element === "number") return undefined;
    const wanted = isKeyElement(element) ? element.key : element;
    let found: YamlNode | undefined;
    for (let i = 0; i < node.content.length; i += 2) {
      const key = node.content[i];
      if (key && key.value === wanted) found = isKeyElement(element) ? key : node.content[i + 1];
    }
    return found;
  }
  if (node.kind === "sequence" && typeof element === "number") return node.content[element];
  return undefined;
}
