import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import development from "../../environments/development.js";
import { withTools } from "../support/real-tools.js";
import { repositoryRoot } from "./kustomize.js";
import { sshKeygen } from "./ssh-tools.js";

/**
 * `homelab gitops key` and `homelab gitops status` as a user runs them: the built CLI, in a
 * scratch project with JSON environments, state and home directories of its own.
 */
const bin = join(repositoryRoot, "bin", "homelab.js");
let project: string;

function writeEnvironment(name: string, gitops?: Record<string, unknown>): void {
  const environment = { ...development, name, prefix: `gitops-${name}`, ...(gitops ? { gitops } : {}) };
  writeFileSync(join(project, "environments", `${name}.json`), `${JSON.stringify(environment, null, 2)}\n`);
}

function homelab(args: readonly string[]) {
  const run = spawnSync(process.execPath, [bin, ...args], {
    cwd: project,
    encoding: "utf8",
    env: {
      ...process.env,
      HOME: join(project, "home"),
      HOMELAB_STATE_DIR: join(project, "state"),
      NO_COLOR: "1",
    },
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

beforeAll(() => {
  if (!existsSync(join(repositoryRoot, "dist", "cli", "main.js"))) {
    throw new Error("dist/ is missing: run `npm run build` (npm test does it) before these tests");
  }
  project = mkdtempSync(join(tmpdir(), "homelab-cli-gitops-"));
  mkdirSync(join(project, "environments"));
  mkdirSync(join(project, "home"));
  writeEnvironment("lab", { url: "ssh://git@github.com/example/homelab.git" });
  writeEnvironment("public", { url: "https://github.com/example/homelab.git" });
  writeEnvironment("plain");
  writeEnvironment("selfhosted", { url: "ssh://git@git.example.org/homelab.git" });
});

const openssh = withTools(["ssh-keygen"]);

describe("homelab gitops key", () => {
  openssh.it("prints only the public key on stdout, keeps both halves 0600 in the state directory", () => {
    const run = homelab(["gitops", "key", "lab"]);
    expect(run.stderr).not.toMatch(/error/);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^ssh-ed25519 [A-Za-z0-9+/=]+ flux-lab@homelab\n$/);
    expect(run.stderr).toContain("https://github.com/example/homelab/settings/keys");
    const privateKey = join(project, "state", "lab", "gitops", "deploy_key");
    expect(statSync(privateKey).mode & 0o777).toBe(0o600);
    expect(statSync(`${privateKey}.pub`).mode & 0o777).toBe(0o600);
    expect(run.stdout + run.stderr).not.toContain(readFileSync(privateKey, "utf8").split("\n")[1]);
    const fingerprint = sshKeygen(["-lf", `${privateKey}.pub`]).stdout.split(" ")[1];
    expect(run.stderr).toContain(fingerprint);
    expect(homelab(["gitops", "key", "lab"]).stdout).toBe(run.stdout);
  });

  it("--json ends with a result event holding the key", () => {
    const run = homelab(["gitops", "key", "lab", "--json"]);
    expect(run.status).toBe(0);
    const events = run.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const result = events.at(-1) as { type: string; data?: { publicKey?: string } } & Record<string, unknown>;
    expect(JSON.stringify(result)).toContain("flux-lab@homelab");
  });

  it("explains that an HTTPS repository needs no key", () => {
    const run = homelab(["gitops", "key", "public"]);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/HTTPS: Flux reads it without a key/);
    expect(existsSync(join(project, "state", "public", "gitops"))).toBe(false);
  });

  it("says gitops-not-configured, with the file, for an environment without a repository", () => {
    const run = homelab(["gitops", "key", "plain"]);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("error[gitops-not-configured]: environments/plain.json");
    expect(run.stderr).toContain("docs: docs/common-errors/gitops-not-configured.md");
  });

  it("says gitops-invalid at the url's line for a host without known keys, and writes no key", () => {
    const run = homelab(["gitops", "key", "selfhosted"]);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(
      /error\[gitops-invalid\]: environments\/selfhosted\.json:\d+:\d+: gitops\.knownHosts/,
    );
    expect(run.stderr).toContain("ssh-keyscan git.example.org");
    expect(existsSync(join(project, "state", "selfhosted"))).toBe(false);
  });
});

describe("homelab gitops status", () => {
  it("is unknown, exit 1, when the environment has no kubeconfig yet", () => {
    const run = homelab(["gitops", "status", "lab"]);
    expect(run.status).toBe(1);
    expect(run.stdout).toContain(
      "Flux in lab: ssh://git@github.com/example/homelab.git (main) ./kubernetes/clusters/lab",
    );
    expect(run.stdout).toContain("unknown");
    expect(run.stderr).toContain(join(project, "home", ".kube", "homelab-lab.yaml"));
  });

  it("refuses an unknown action with a usage error", () => {
    const run = homelab(["gitops", "push", "lab"]);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("error[usage]");
  });
});
