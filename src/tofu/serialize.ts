import type { TfJsonDocument } from "./tf-json.js";

/**
 * The bytes of `main.tf.json`: two-space indented, keys in the order the synthesizer built
 * them, one trailing newline. Same document, same bytes.
 */
export function serializeTfJson(document: TfJsonDocument): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}
