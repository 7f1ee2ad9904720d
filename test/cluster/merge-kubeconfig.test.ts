/**
 * `--merge-kubeconfig` on real files (src/cluster/fetch-kubeconfig.ts): the user's kubeconfig
 * is replaced atomically, and when it is a symbolic link (a dotfiles repository, a chain of
 * links) the file it points to is what changes — the link stays a link. Its owner's mode is
 * kept; group and others never get the admin key.
 */
import {
  chmod,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  readlink,
  stat,
  symlink,
  writeFile,
} from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { mergeIntoKubeconfigFile, rewriteKubeconfig } from "../../src/cluster/index.js";
import type { HomelabError } from "../../src/errors/index.js";
import { K3S_YAML } from "./k3s-yaml.js";

const addition = rewriteKubeconfig(K3S_YAML, {
  server: "https://127.0.0.1:6443",
  name: "homelab-dev",
  source: "test",
});
const userConfig = `apiVersion: v1
kind: Config
clusters:
  - name: work
    cluster: { server: "https://work.example:6443" }
users:
  - name: work
    user: { token: abc }
contexts:
  - name: work
    context: { cluster: work, user: work }
current-context: work
`;

async function home() {
  const root = await mkdtemp(join(tmpdir(), "homelab-merge-"));
  await mkdir(join(root, ".kube"), { recursive: true });
  await mkdir(join(root, "dotfiles"), { recursive: true });
  return root;
}

const contexts = (text: string) =>
  (parse(text) as { contexts: { name: string }[] }).contexts.map((entry) => entry.name);

describe("merging into the user's kubeconfig", () => {
  it("writes through a symbolic link to its target, keeping the link and the target's mode", async () => {
    const root = await home();
    const target = join(root, "dotfiles", "kubeconfig");
    const link = join(root, ".kube", "config");
    await writeFile(target, userConfig, { mode: 0o600 });
    await chmod(target, 0o400); // read-only for its owner: the mode is kept, the rename still works
    await symlink("../dotfiles/kubeconfig", link);
    await mergeIntoKubeconfigFile(link, addition, "homelab-dev");
    expect((await lstat(link)).isSymbolicLink()).toBe(true);
    expect(await readlink(link)).toBe("../dotfiles/kubeconfig");
    expect(contexts(await readFile(target, "utf8"))).toEqual(["work", "homelab-dev"]);
    expect((await stat(target)).mode & 0o777).toBe(0o400);
    expect(await readdir(join(root, "dotfiles"))).toEqual(["kubeconfig"]); // no temporary left
  });

  it("follows a chain of links, and creates a dangling link's target 0600", async () => {
    const root = await home();
    const final = join(root, "dotfiles", "real-config");
    await symlink(final, join(root, "dotfiles", "middle"));
    await symlink(join(root, "dotfiles", "middle"), join(root, ".kube", "config"));
    await mergeIntoKubeconfigFile(join(root, ".kube", "config"), addition, "homelab-dev");
    expect((await lstat(join(root, ".kube", "config"))).isSymbolicLink()).toBe(true);
    expect((await lstat(join(root, "dotfiles", "middle"))).isSymbolicLink()).toBe(true);
    expect(contexts(await readFile(final, "utf8"))).toEqual(["homelab-dev"]);
    expect((await stat(final)).mode & 0o777).toBe(0o600);
  });

  it("never gives group or others access, even when the user's file had it", async () => {
    const root = await home();
    const config = join(root, ".kube", "config");
    await writeFile(config, userConfig);
    await chmod(config, 0o644);
    await mergeIntoKubeconfigFile(config, addition, "homelab-dev");
    expect((await stat(config)).mode & 0o777).toBe(0o600);
  });

  it("a loop of links is kubeconfig-merge-failed, located, and nothing is written", async () => {
    const root = await home();
    await symlink(join(root, "dotfiles", "b"), join(root, "dotfiles", "a"));
    await symlink(join(root, "dotfiles", "a"), join(root, "dotfiles", "b"));
    await symlink(join(root, "dotfiles", "a"), join(root, ".kube", "config"));
    const failure = (await mergeIntoKubeconfigFile(
      join(root, ".kube", "config"),
      addition,
      "homelab-dev",
    ).catch((e: unknown) => e)) as HomelabError;
    expect(failure.code).toBe("kubeconfig-merge-failed");
    expect(failure.where?.file).toBe(join(root, ".kube", "config"));
  });

  it("an unwritable directory is kubeconfig-merge-failed, not internal", async () => {
    const root = await home();
    const config = join(root, ".kube", "config");
    await writeFile(config, userConfig, { mode: 0o600 });
    // A directory where the file's directory should be: rename() cannot put a file there.
    await mkdir(join(root, "dotfiles", "kubeconfig-dir"));
    await symlink(join(root, "dotfiles", "kubeconfig-dir", "missing", "config"), join(root, "link"));
    await writeFile(join(root, "dotfiles", "kubeconfig-dir", "missing"), "a file, not a directory");
    const failure = (await mergeIntoKubeconfigFile(join(root, "link"), addition, "homelab-dev").catch(
      (e: unknown) => e,
    )) as HomelabError;
    expect(failure.code).toBe("kubeconfig-merge-failed");
  });
});
