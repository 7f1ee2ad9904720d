/**
 * What a new user meets first, through the built CLI (bin/homelab.js; `npm test` builds it):
 * usage lines and help, durations, examples, running from a subfolder, the file count, and one
 * OpenTofu install advice everywhere.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import upCommand from "../../src/cli/commands/up/index.js";
import { COMMANDS } from "../../src/cli/commands.js";
import { OPENTOFU_APT_REPOSITORY, OPENTOFU_INSTALL } from "../../src/doctor/packages.js";
import { tofuNotFoundError } from "../../src/runner/index.js";
import { runCommand } from "../runner/cli-harness.js";
import { testRepo } from "../runner/environment-repo.js";

const repository = resolve(import.meta.dirname, "..", "..");
const bin = join(repository, "bin", "homelab.js");

function homelab(args: readonly string[], cwd = repository, env: NodeJS.ProcessEnv = process.env) {
  const run = spawnSync(process.execPath, [bin, ...args], {
    cwd,
    env: { ...env, NO_COLOR: "1" },
    encoding: "utf8",
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe("usage and help", () => {
  it.each(COMMANDS.filter((entry) => entry.kind === "standard").map((entry) => entry.name))(
    "`homelab %s --help` says `Usage: homelab …`, and `homelab help` it prints the same",
    (name) => {
      const help = homelab([name, "--help"]);
      expect(help.status).toBe(0);
      expect(help.stdout.split("\n")[0]).toMatch(new RegExp(`^Usage: homelab ${name} \\[options\\]`));
      expect(help.stdout).toContain("Examples:");
      const viaHelp = homelab(["help", name]);
      expect(viaHelp.status).toBe(0);
      expect(viaHelp.stdout).toBe(help.stdout);
    },
  );

  it("`homelab help butane` is butane's own help; `homelab help nope` is a usage error", () => {
    expect(homelab(["help", "butane"]).stdout).toMatch(/^Usage: homelab butane /);
    const unknown = homelab(["help", "nope"]);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain('error[usage]: unknown command "nope"');
  });

  it("gitops --timeout takes a duration like every other --timeout", () => {
    expect(homelab(["gitops", "--help"]).stdout).toMatch(/--timeout <duration>\s+status: how long to wait/);
    const wrong = homelab(["gitops", "status", "development", "--timeout", "soon"]);
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toContain('error[usage]: --timeout "soon" is not a duration');
  });

  it("--tofu says where homelab looks besides PATH", () => {
    expect(homelab(["plan", "--help"]).stdout.replace(/\s+/g, " ")).toContain(
      "else tofu, else terraform, searched in PATH, then /usr/local/sbin, /usr/local/bin, /usr/sbin, /usr/bin, /sbin, /bin",
    );
  });
});

describe("running from a subfolder", () => {
  const project = () => {
    const root = mkdtempSync(join(tmpdir(), "homelab-subfolder-"));
    mkdirSync(join(root, "environments"));
    writeFileSync(
      join(root, "environments", "lab.json"),
      JSON.stringify({
        name: "lab",
        prefix: "lab",
        servers: { count: 1 },
        agents: { count: 1 },
        network: { cidr: "10.77.0.0/24" },
        ssh: { authorizedKeys: [] },
      }),
    );
    mkdirSync(join(root, "kubernetes", "apps"), { recursive: true });
    return root;
  };

  it("finds the repository above, says which one, and resolves typed paths from where the user is", () => {
    const root = project();
    const here = join(root, "kubernetes", "apps");
    const byName = homelab(["show", "lab", "--ascii"], here);
    expect(byName.status, byName.stderr).toBe(0);
    expect(byName.stderr).toContain(`Using the homelab repository at ${root} (above the current directory)`);
    expect(byName.stdout).toContain("lab-server-1");
    const byPath = homelab(["show", "../../environments/lab.json", "--ascii"], here);
    expect(byPath.status, byPath.stderr).toBe(0);
    expect(byPath.stdout).toContain("lab - environments/lab.json");
  });

  it("says nothing about the root when run in it", () => {
    const root = project();
    expect(homelab(["show", "lab", "--ascii"], root).stderr).not.toContain("Using the homelab repository");
  });

  it("outside any repository, env-not-found says what homelab looked for", () => {
    const outside = mkdtempSync(join(tmpdir(), "homelab-norepo-"));
    const run = homelab(["show", "lab"], outside);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('error[env-not-found]: environments/lab.ts: no environment named "lab"');
    expect(run.stderr).toContain("There is no environments/ here or in any folder above");
  });
});

describe("one count of rendered files", () => {
  it("render and up's render step count the same files (the hidden marker is not one)", async () => {
    const repo = await testRepo("countme", "hl-count"); // 1 server, 2 agents: main.tf.json + 3 + 3
    const env = { ...repo.env, HOMELAB_TOFU: "/nonexistent/tofu" }; // up stops right after rendering
    const render = homelab(["render", "countme"], repo.cwd, env);
    expect(render.status, render.stderr).toBe(0);
    expect(render.stdout).toMatch(/^Rendered countme \(environments\/countme\.json\): 7 files into /);
    const up = await runCommand(upCommand, ["countme"], { cwd: repo.cwd, env });
    const rendered = up.events.find((event) => String(event.message).startsWith("Rendered "));
    expect(rendered?.message).toBe("Rendered 7 files into .homelab/countme");
  });
});

describe("one OpenTofu install advice", () => {
  const readme = readFileSync(join(repository, "README.md"), "utf8");
  const page = readFileSync(join(repository, "docs", "common-errors", "tofu-not-found.md"), "utf8");
  it.each(Object.entries(OPENTOFU_INSTALL))(
    "%s: README, the docs page and the error say the same",
    (_, advice) => {
      const command = advice.command.replace(/^sudo /, "");
      expect(readme).toContain(command);
      expect(page).toContain(command);
      expect(tofuNotFoundError().fix).toContain(advice.command);
    },
  );

  it("names OpenTofu's apt repository for Debian/Ubuntu, and no snap", () => {
    for (const text of [readme, page, tofuNotFoundError().fix ?? ""]) {
      expect(text).toContain(OPENTOFU_APT_REPOSITORY);
      expect(text).not.toMatch(/snap install/);
    }
  });

  it("says where it looked, and drops sudo for root", () => {
    const error = tofuNotFoundError({ searched: ["/home/me/bin", "/usr/bin"], root: true });
    expect(error.message).toBe(
      "neither `tofu` (OpenTofu) nor `terraform` was found in /home/me/bin:/usr/bin",
    );
    expect(error.fix).toContain("Arch:          pacman -S --needed opentofu");
    expect(error.fix).not.toMatch(/\bsudo /);
  });
});
