import { COMMANDS } from "./commands.js";

const GROUP_TITLES: Record<string, string> = {
  cluster: "Cluster lifecycle",
  inspect: "Inspect",
  tools: "Tools",
};

/** `homelab --help`: built from the command table, without loading any command. */
export function topLevelHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 2;
  const lines = [
    "Usage: homelab <command> [options]",
    "",
    "Turns environments/<env>.ts into a k3s cluster on Flatcar VMs on libvirt.",
    "Ignition runs once: a node whose configuration changes is replaced, never patched.",
  ];
  for (const [group, title] of Object.entries(GROUP_TITLES)) {
    const entries = COMMANDS.filter((c) => c.group === group);
    if (entries.length === 0) continue;
    lines.push("", `${title}:`);
    for (const entry of entries) lines.push(`  ${entry.name.padEnd(width)}${entry.summary}`);
  }
  lines.push(
    "",
    "Every command accepts --json (newline-delimited events on stdout) and --help.",
    "Run `homelab <command> --help` for its options. Docs: docs/03-getting-started.md",
  );
  return `${lines.join("\n")}\n`;
}
