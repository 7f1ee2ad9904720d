import { formatPath, isKeyElement, type PathElement } from "../diagnostics.js";

type RuleKind = "exact" | "prefix" | "absorb";

interface Rule {
  readonly yaml: readonly PathElement[];
  readonly kind: RuleKind;
}

/**
 * Where each part of the generated Ignition config came from in the Butane source, so a
 * problem found in the output is reported at the YAML that caused it (the reference's
 * TranslationSet). Most of the output mirrors the input with camelCase names turned into
 * snake_case; only the exceptions are recorded:
 *   - `prefix` rules map a JSON subtree onto a YAML subtree (the rest of the path follows);
 *   - `absorb` rules map a JSON subtree onto one YAML node (generated content);
 *   - `exact` rules map one JSON path only (what a config merge leaves behind).
 *
 * A set built by translating the source is *open*: any path without a rule maps to itself,
 * because the reference's translator records a translation for every field it copies. A set
 * produced by merging two configs is *closed*: the reference keeps only the paths the merge
 * transcribed (non-zero values), so a lookup of any other path finds nothing and a report at
 * it falls back to the snake_case of the JSON path, even where list indexes have shifted.
 */
export class TranslationSet {
  private readonly rules = new Map<string, Rule>();

  constructor(readonly open = true) {}

  prefix(json: readonly PathElement[], yaml: readonly PathElement[]): void {
    this.rules.set(formatPath(json), { yaml, kind: "prefix" });
  }

  absorb(json: readonly PathElement[], yaml: readonly PathElement[]): void {
    this.rules.set(formatPath(json), { yaml, kind: "absorb" });
  }

  exact(json: readonly PathElement[], yaml: readonly PathElement[]): void {
    this.rules.set(formatPath(json), { yaml, kind: "exact" });
  }

  /** Whether a rule covers exactly this JSON path (used to prefer one merge side). */
  hasExact(json: readonly PathElement[]): boolean {
    return this.rules.has(formatPath(json));
  }

  /** The YAML path a JSON path came from, if this set knows it (the reference's `Set[path]`). */
  lookup(json: readonly PathElement[]): PathElement[] | undefined {
    const own = this.rules.get(formatPath(json));
    if (own) return [...own.yaml];
    for (let i = json.length - 1; i >= 0; i--) {
      const rule = this.rules.get(formatPath(json.slice(0, i)));
      if (!rule || rule.kind === "exact") continue;
      if (rule.kind === "absorb") return [...rule.yaml];
      return [...rule.yaml, ...json.slice(i).map(snakeElement)];
    }
    return this.open ? json.map(snakeElement) : undefined;
  }

  /**
   * A listing in the format of the reference's `--debug` (`TranslationSet: yaml → json`, then
   * `from → to`, sorted by the JSON path). homelab keeps rules rather than one entry per
   * field: a rule marked `/…` covers the subtree below its paths too.
   */
  describe(): string {
    const lines = [...this.rules.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([json, rule]) => {
        const yaml = formatPath(rule.yaml);
        if (rule.kind === "prefix") return `${yaml}/… → ${json}/…`;
        if (rule.kind === "absorb") return `${yaml} → ${json}/…`;
        return `${yaml} → ${json}`;
      });
    const rest = this.open ? ["(every other path: its own snake_case)"] : [];
    return `TranslationSet: yaml → json\n${[...lines, ...rest].map((l) => `${l}\n`).join("")}`;
  }

  /** Where to report a problem found at a JSON path (TranslateReportPaths). */
  toYaml(json: readonly PathElement[]): PathElement[] {
    return this.lookup(json) ?? json.map(snakeElement);
  }
}

/** camelCase to snake_case, as Butane's `Snake()` (with `MiB` kept as one word). */
export function snake(name: string): string {
  return name.replace(/(MiB|[A-Z])/g, "_$1").toLowerCase();
}

function snakeElement(e: PathElement): PathElement {
  if (typeof e === "string") return snake(e);
  if (typeof e === "number") return e;
  return isKeyElement(e) ? e : e;
}
