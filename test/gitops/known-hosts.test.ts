import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { knownHostsFor, parseRepositoryUrl, WELL_KNOWN_HOST_KEYS } from "../../src/gitops/index.js";
import { describeWithTools, itWithTools } from "../support/real-tools.js";
import { sshKeygen } from "./ssh-tools.js";

function repository(url: string) {
  const parsed = parseRepositoryUrl(url);
  if (!parsed.ok) throw new Error(parsed.problem.message);
  return parsed.repository;
}

function tempFile(name: string, contents: string): string {
  const file = join(mkdtempSync(join(tmpdir(), "gitops-kh-")), name);
  writeFileSync(file, contents);
  return file;
}

describeWithTools(["ssh-keygen"], "built-in host keys", () => {
  it.each(Object.entries(WELL_KNOWN_HOST_KEYS))(
    "%s: every key has the fingerprint its operator publishes (ssh-keygen -lf)",
    (host, keys) => {
      const file = tempFile("known_hosts", keys.map((key) => `${host} ${key.type} ${key.key}\n`).join(""));
      const run = sshKeygen(["-lf", file]);
      expect(run.status, run.stderr).toBe(0);
      const fingerprints = run.stdout
        .trim()
        .split("\n")
        .map((line) => line.split(" ")[1]);
      expect(fingerprints).toEqual(keys.map((key) => key.fingerprint));
    },
  );

  it("gives known_hosts text that OpenSSH finds the host in", () => {
    const result = knownHostsFor(repository("ssh://git@gitlab.com/group/project.git"), undefined);
    if (!result.ok) throw new Error("expected built-in keys for gitlab.com");
    const file = tempFile("known_hosts", result.knownHosts);
    const found = sshKeygen(["-F", "gitlab.com", "-f", file]);
    expect(found.status).toBe(0);
    expect(found.stdout.match(/^gitlab\.com /gm)).toHaveLength(3);
  });
});

describe("configured known_hosts lines", () => {
  const ed25519 = WELL_KNOWN_HOST_KEYS["github.com"]?.[0];
  const lineFor = (host: string) => `${host} ${ed25519?.type} ${ed25519?.key}`;

  itWithTools(["ssh-keygen"], "are used as given for a self-hosted Git server, on its own port", () => {
    const result = knownHostsFor(repository("ssh://git@git.example.org:2222/homelab.git"), [
      lineFor("[git.example.org]:2222"),
    ]);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const found = sshKeygen([
      "-F",
      "[git.example.org]:2222",
      "-f",
      tempFile("known_hosts", result.knownHosts),
    ]);
    expect(found.status).toBe(0);
  });

  itWithTools(["ssh-keygen"], "may be hashed (ssh-keygen -H)", () => {
    const file = tempFile("known_hosts", `${lineFor("git.example.org")}\n`);
    expect(sshKeygen(["-H", "-f", file]).status).toBe(0);
    const hashed = readFileSync(file, "utf8").trim();
    expect(hashed.startsWith("|1|")).toBe(true);
    expect(knownHostsFor(repository("ssh://git@git.example.org/homelab.git"), [hashed]).ok).toBe(true);
  });

  it.each([
    [["git.example.org ssh-ed25519"], /not a known_hosts line/],
    [["git.example.org ssh-dss AAAAB3NzaC1kc3M="], /unknown key type/],
    [[`git.example.org ssh-rsa ${ed25519?.key}`], /embedded type differs/],
    [["git.example.org ssh-ed25519 not*base64"], /not valid base64/],
    [[`@cert-authority ${lineFor("*.example.org")}`], /markers/],
    [[lineFor("other.example.org")], /no line is for git\.example\.org/],
  ])("are refused when wrong: %s", (lines, message) => {
    const result = knownHostsFor(repository("ssh://git@git.example.org/homelab.git"), lines);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.map((p) => p.message).join("\n")).toMatch(message);
    expect(result.fix).toMatch(/ssh-keyscan/);
  });
});
