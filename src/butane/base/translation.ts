import { formatPath, isKeyElement, type PathElement } from "../diagnostics.js";

/**
 * Where each part of the generated Ignition config came from in the Butane source, so a
 * problem found in the output is reported at the YAML that caused it (the reference's
 * TranslationSet). Most of the output mirrors the input with camelCase names turned into
 * snake_case; only the exceptions are recorded:
 *   - `prefix` rules map a JSON subtree onto a YAML subtree (the rest of the path follows);
 *   - `absorb` rules map a JSON subtree onto one YAML node (generated content).
 */
export class TranslationSet {
  private readonly rules = new Map<string, { yaml: readonly PathElement[]; absorb: boolean }>();

  prefix(json: readonly PathElement[], yaml: readonly PathElement[]): void {
    this.rules.set(formatPath(json), { yaml, absorb: false });
  }

  absorb(json: readonly PathElement[], yaml: readonly PathElement[]): void {
    this.rules.set(formatPath(json), { yaml, absorb: true });
  }

  toYaml(json: readonly PathElement[]): PathElement[] {
    for (let i = json.length; i >= 0; i--) {
      const rule = this.rules.get(formatPath(json.slice(0, i)));
      if (!rule) continue;
      if (rule.absorb) return [...rule.yaml];
      return [...rule.yaml, ...json.slice(i).map(snakeElement)];
    }
    return json.map(snakeElement);
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
