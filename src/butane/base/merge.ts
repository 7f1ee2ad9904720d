import { mergeConfigs } from "../ignition/merge.js";
import type { IgnObject, JsonStruct } from "../ignition/schema.js";
import { TranslationSet } from "./translation.js";

/**
 * Merges a generated config (`parent`) under the translated user config (`child`) with
 * Ignition's merge, and carries both sides' translations over to the result through the merge
 * transcript (base/util MergeTranslatedConfigs). The result's set is closed: only transcribed
 * paths keep a source, and where both sides produced a value the child's source wins.
 */
export function mergeTranslatedConfigs(
  parent: IgnObject,
  parentTranslations: TranslationSet,
  child: IgnObject,
  childTranslations: TranslationSet,
  type: JsonStruct,
): { config: IgnObject; translations: TranslationSet } {
  const { result, transcript } = mergeConfigs(parent, child, type);
  const translations = new TranslationSet(false);
  for (const mapping of transcript) {
    const left = mapping.from === "parent" ? parentTranslations : childTranslations;
    const yaml = left.lookup(mapping.fromPath);
    if (!yaml) continue;
    if (mapping.from !== "child" && translations.hasExact(mapping.toPath)) continue;
    translations.exact(mapping.toPath, yaml);
  }
  return { config: result, translations };
}
