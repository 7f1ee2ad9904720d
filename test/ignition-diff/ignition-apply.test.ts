import { lstatSync, readFileSync, readlinkSync, statSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, expect, it } from "vitest";
import type { DecodedIgnition, IgnitionContents } from "../../src/ignition-diff/index.js";
import { applyIgnition, ignitionValidate } from "../support/ignition.js";
import { describeWithTools, IGNITION_TOOLS } from "../support/real-tools.js";
import { config, dataSource, decoded, file, inlineMerge } from "./build.js";

/**
 * The decoder's view against the real Ignition (Debian's 2.14): a config with every encoding
 * (percent, base64, gzip), `append` fragments and nested inline merges that override fields,
 * replace a file with a link, add keys and units is applied to a scratch root, and each file,
 * link, unit and key Ignition wrote must be exactly what `decodeIgnition` says. This is what
 * makes the merge rules in src/ignition-diff/merge.ts more than a reading of Ignition's source.
 */

const KEY_A = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHU/SctF+x0sQCFzh0yuB5z9D6OZk2qy06PkThd7IOxE a@test";
const KEY_B = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBbVuAmQ0Jx0u9cWcYkL8qnmIpL0KjFbGsJj2m4vWmSd b@test";

const grandchild = config({
  storage: { files: [file("/etc/homelab/deep.conf", "from the grandchild\n", { mode: 0o640 }, "base64")] },
  systemd: {
    units: [
      { name: "k3s.service", dropins: [{ name: "20-grandchild.conf", contents: "[Service]\nNice=5\n" }] },
    ],
  },
});
const child = config({
  ignition: { config: { merge: [inlineMerge(grandchild, "base64")] } },
  storage: {
    files: [
      { path: "/etc/homelab/shared.conf", mode: 0o600 },
      file("/etc/homelab/snippet.conf", "snippet: true\n", {}, "gzip"),
      { path: "/etc/homelab/appended", append: [dataSource("child fragment\n", "gzip")] },
    ],
    links: [{ path: "/etc/homelab/becomes-link", target: "/etc/homelab/shared.conf" }],
    directories: [{ path: "/etc/homelab/dir", mode: 0o700 }],
  },
  systemd: {
    units: [
      {
        name: "snippet.service",
        enabled: true,
        contents:
          "[Unit]\nDescription=x\n[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n",
      },
    ],
  },
  passwd: { users: [{ name: "core", sshAuthorizedKeys: [KEY_B, KEY_A] }] },
});
const parent = config({
  ignition: { config: { merge: [inlineMerge(child, "gzip")] } },
  storage: {
    files: [
      file("/etc/homelab/shared.conf", "parent text, mode from the child\n", { mode: 0o644 }),
      file("/etc/homelab/becomes-link", "the child's link replaces me\n"),
      file("/etc/homelab/appended", "head\n", { append: [dataSource("parent fragment\n")] }),
      file("/etc/homelab/binary", new Uint8Array([0, 1, 2, 255, 254]), { mode: 0o644 }),
    ],
  },
  systemd: {
    units: [{ name: "k3s.service", contents: "[Service]\nExecStart=/opt/bin/k3s server\n" }],
  },
  passwd: { users: [{ name: "core", sshAuthorizedKeys: [KEY_A] }] },
});

function bytesOf(contents: IgnitionContents): Buffer {
  return contents.kind === "inline" ? Buffer.from(contents.bytes) : Buffer.alloc(0);
}

describeWithTools(IGNITION_TOOLS, "decodeIgnition agrees with what the real Ignition writes", () => {
  const text = JSON.stringify(parent);
  let root: string;
  let view: DecodedIgnition;
  beforeAll(() => {
    expect(ignitionValidate(text)).toEqual({ ok: true, output: "" });
    root = applyIgnition(text).root;
    view = decoded(text);
  });

  it("every file: the same bytes (contents, then append fragments) and mode", () => {
    expect([...view.files.keys()].sort()).toEqual([
      "/etc/homelab/appended",
      "/etc/homelab/binary",
      "/etc/homelab/deep.conf",
      "/etc/homelab/shared.conf",
      "/etc/homelab/snippet.conf",
    ]);
    for (const entry of view.files.values()) {
      const onDisk = join(root, entry.path);
      const expected = Buffer.concat([bytesOf(entry.contents), ...entry.append.map(bytesOf)]);
      expect(readFileSync(onDisk).equals(expected), entry.path).toBe(true);
      if (entry.mode !== undefined) expect(statSync(onDisk).mode & 0o7777, entry.path).toBe(entry.mode);
    }
  });

  it("a child's link at a parent's file path replaces the file; directories get their mode", () => {
    const link = join(root, "etc/homelab/becomes-link");
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe(view.links.get("/etc/homelab/becomes-link")?.target);
    expect(statSync(join(root, "etc/homelab/dir")).mode & 0o7777).toBe(
      view.directories.get("/etc/homelab/dir")?.mode,
    );
  });

  it("units and drop-ins from every level, with the parent's unit text kept", () => {
    for (const unit of view.units.values()) {
      const path = join(root, "etc/systemd/system", unit.name);
      if (unit.contents !== undefined) expect(readFileSync(path, "utf8"), unit.name).toBe(unit.contents);
      for (const dropin of unit.dropins.values()) {
        expect(readFileSync(`${path}.d/${dropin.name}`, "utf8")).toBe(dropin.contents);
      }
    }
    expect([...(view.units.get("k3s.service")?.dropins.keys() ?? [])]).toEqual(["20-grandchild.conf"]);
  });

  it("SSH keys merged by value, in order", () => {
    const written = readFileSync(join(root, "home/core/.ssh/authorized_keys.d/ignition"), "utf8")
      .split("\n")
      .filter((line) => line.trim() !== "" && !line.startsWith("#"));
    expect(written).toEqual(view.users.get("core")?.sshAuthorizedKeys);
  });
});
