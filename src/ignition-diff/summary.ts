import { compareText } from "./changed-keys.js";
import type { ContentChange, EntryChange, IgnitionDiff } from "./diff.js";

/** How many phrases the headline names before it counts the rest. */
const MAX_PHRASES = 6;

/**
 * One line for a node's headline in `homelab plan`: what changed, most specific first.
 * `config.yaml changed (server), update.conf changed (REBOOT_STRATEGY), 1 SSH key added`.
 * `no Ignition change` when the diff is empty.
 */
export function summarizeIgnitionDiff(diff: IgnitionDiff): string {
  const phrases = [
    ...entryPhrases(diff.files, (key) => key, fileNames(diff)),
    ...entryPhrases(diff.units, (key) => key),
    ...sshKeyPhrases(diff),
    ...entryPhrases(
      diff.users,
      (key) => `user ${key}`,
      undefined,
      (entry) => withoutSshKeys(entry),
    ),
    ...entryPhrases(diff.groups, (key) => `group ${key}`),
    ...entryPhrases(diff.links, (key) => `link ${key}`),
    ...entryPhrases(diff.directories, (key) => `directory ${key}`),
    ...entryPhrases(diff.kernelArguments, (key) => `kernel argument ${key}`),
    ...entryPhrases(diff.storage, (key) => key),
    ...entryPhrases(diff.configs, (key) => `remote config ${key.replace(/^\S+ /, "")}`),
    ...settingsPhrases(diff),
  ];
  if (phrases.length === 0) return "no Ignition change";
  if (phrases.length <= MAX_PHRASES) return phrases.join(", ");
  const shown = phrases.slice(0, MAX_PHRASES - 1);
  return `${shown.join(", ")} and ${phrases.length - shown.length} more changes`;
}

/** Files by base name, or by full path where two changed files share a base name. */
function fileNames(diff: IgnitionDiff): (key: string) => string {
  const all = [...diff.files.added, ...diff.files.removed, ...diff.files.changed].map((entry) => entry.key);
  const base = (path: string) => path.slice(path.lastIndexOf("/") + 1) || path;
  const counts = new Map<string, number>();
  for (const path of all) counts.set(base(path), (counts.get(base(path)) ?? 0) + 1);
  return (path) => ((counts.get(base(path)) ?? 0) > 1 ? path : base(path));
}

function withoutSshKeys(entry: EntryChange): EntryChange | undefined {
  const lists = entry.lists.filter((list) => list.field !== "ssh key");
  if (entry.fields.length + lists.length + entry.contents.length === 0) return undefined;
  return { ...entry, lists };
}

function entryPhrases(
  category: IgnitionDiff[keyof IgnitionDiff],
  name: (key: string) => string,
  rename?: (key: string) => string,
  filter: (entry: EntryChange) => EntryChange | undefined = (entry) => entry,
): string[] {
  const label = (key: string) => name(rename ? rename(key) : key);
  const changed = category.changed.flatMap((entry) => {
    const kept = filter(entry);
    if (kept === undefined) return [];
    const hints = changeHints(kept);
    return [`${label(entry.key)} changed${hints.length > 0 ? ` (${hints.join(", ")})` : ""}`];
  });
  return [
    ...changed,
    ...category.added.map((entry) => `${label(entry.key)} added`),
    ...category.removed.map((entry) => `${label(entry.key)} removed`),
  ];
}

/** What about an entry changed: the settings of its text, else the names of its fields. */
function changeHints(entry: EntryChange): string[] {
  const hints = new Set<string>();
  let secretChanged = false;
  for (const content of entry.contents) {
    for (const hint of contentHints(content)) hints.add(hint);
    if (content.kind === "secret" || (content.kind === "text" && content.secretChanged)) secretChanged = true;
  }
  const fields = entry.fields.map((field) => field.field);
  for (const field of fields) {
    // A new download URL comes with a new hash; the URL says it.
    if (field.endsWith("verification") && fields.includes(field.replace("verification", "source"))) continue;
    hints.add(field);
  }
  for (const list of entry.lists) hints.add(list.field);
  const out = [...hints].sort(compareText);
  const limited = out.length > 4 ? [...out.slice(0, 3), `${out.length - 3} more`] : out;
  return secretChanged ? [...limited, "secret changed"] : limited;
}

function contentHints(content: ContentChange): string[] {
  if (content.label.startsWith("drop-in") || content.label.startsWith("append")) {
    return [content.status === "changed" ? content.label : `${content.label} ${content.status}`];
  }
  if (content.kind !== "text") return [];
  // A masked key's name is fine to show; its value never is.
  return [...(content.changedKeys ?? [])];
}

function sshKeyPhrases(diff: IgnitionDiff): string[] {
  let added = 0;
  let removed = 0;
  for (const entry of diff.users.changed) {
    for (const list of entry.lists) {
      if (list.field !== "ssh key") continue;
      added += list.added.length;
      removed += list.removed.length;
    }
  }
  const keys = (n: number) => `${n} SSH key${n === 1 ? "" : "s"}`;
  return [
    ...(added > 0 ? [`${keys(added)} added`] : []),
    ...(removed > 0 ? [`${keys(removed)} removed`] : []),
  ];
}

function settingsPhrases(diff: IgnitionDiff): string[] {
  const changed = diff.settings.changed.map((entry) => {
    const field = entry.fields[0];
    if (entry.key === "version" && field) return `Ignition spec ${field.before} → ${field.after}`;
    return `ignition ${entry.key} changed`;
  });
  return [
    ...changed,
    ...diff.settings.added.map((entry) => `ignition ${entry.key} added`),
    ...diff.settings.removed.map((entry) => `ignition ${entry.key} removed`),
  ];
}
