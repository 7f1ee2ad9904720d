import { join } from "node:path";
import { addonImageCachePath, artifactCacheDir, pullImageArchive } from "../../../artifacts/index.js";
import { listEnvironmentNames, loadEnvironment } from "../../../environment/index.js";
import { readShippedSigningKey } from "../../../image/index.js";
import {
  LOCK_FILE_NAME,
  type LockedEnvironment,
  type LockFile,
  lockStatus,
  offlineLockedEnvironment,
  readLock,
  resolveLockedEnvironment,
  updateLockedEnvironment,
  writeLock,
} from "../../../lock/index.js";
import type { CommandModule } from "../../command.js";
import { warnIfNameMismatch } from "../../lifecycle/environment-name.js";
import { downloadTimeouts } from "../../lifecycle/image.js";
import { registryClient } from "../../lifecycle/registry.js";
import { releaseSources } from "../../lifecycle/release-sources.js";

function describeEntry(entry: LockedEnvironment): string[] {
  return [
    `  flatcar   ${entry.flatcar.channel} ${entry.flatcar.version}`,
    `            ${entry.flatcar.image.url}`,
    `            signed by ${entry.flatcar.image.signingKeyFingerprint}; sha512 ${entry.flatcar.image.sha512 ?? "not recorded (signature only)"}`,
    `  k3s       ${entry.k3s.version}`,
    `            ${entry.k3s.binary.url}`,
    `            sha256 ${entry.k3s.binary.sha256}`,
    ...(entry.k3s.airgapImages
      ? [
          `            air-gap images ${entry.k3s.airgapImages.url}`,
          `            sha256 ${entry.k3s.airgapImages.sha256}`,
        ]
      : []),
    `  provider  ${entry.provider.source} ${entry.provider.version}`,
    ...(entry.flux ? [`  flux      ${entry.flux.version}`] : []),
    ...Object.entries(entry.images ?? {}).flatMap(([key, image]) =>
      image
        ? [
            `  image     ${key} ${image.reference}`,
            `            ${image.digest} (linux/amd64); archive sha256 ${image.archive.sha256}`,
          ]
        : [],
    ),
  ];
}

/**
 * `homelab lock [ENV] [--update [--offline]] [--check]`: shows what each environment resolves
 * to and whether homelab.lock.json is up to date with it; `--update` re-reads the published
 * hashes (k3s sha256sum-amd64.txt, Flatcar's signed DIGESTS) and rewrites the entries
 * atomically; `--offline` records homelab's built-in pins instead.
 */
const command: CommandModule = {
  configure(command) {
    command
      .argument("[env]", "environment name; default every environment in environments/")
      .option("--update", "refresh the entries from the published release metadata (needs the internet)")
      .option("--offline", "with --update: record homelab's built-in pins without the network")
      .option("--check", "exit 1 when an entry is missing or out of date (for CI)")
      .addHelpText(
        "after",
        `\n${LOCK_FILE_NAME} is committed: same commit, same infrastructure. render and up read versions and\n` +
          "hashes from it, never from the network.\n\nExamples:\n  homelab lock\n  homelab lock staging --update\n  homelab lock --check",
      );
  },
  async run(args, options, context) {
    const [only] = args as [string | undefined];
    const names = only ? [only] : await listEnvironmentNames(join(context.cwd, "environments"));
    const home = context.paths.home;
    const environments = await Promise.all(
      names.map((name) => loadEnvironment(name, { cwd: context.cwd, home })),
    );
    for (const loaded of environments) await warnIfNameMismatch(context, loaded);
    const lock: LockFile = (await readLock(context.cwd)) ?? { lockfileVersion: 1, environments: {} };

    if (options.update === true) {
      const sources = releaseSources(context.env);
      const registry = registryClient(context);
      const signingKeys = options.offline === true ? "" : await readShippedSigningKey();
      const updated: Record<string, LockedEnvironment> = {};
      for (const { environment } of environments) {
        updated[environment.name] =
          options.offline === true
            ? offlineLockedEnvironment(environment)
            : await context.reporter.step(`Reading published hashes for ${environment.name}`, () =>
                updateLockedEnvironment(environment, {
                  fetch: (url, init) => fetch(url, init),
                  pullAddonImage: async (image) => {
                    const pulled = await pullImageArchive(
                      registry,
                      { reference: image.reference },
                      (digest) =>
                        join(
                          artifactCacheDir(context.paths.cacheRoot),
                          addonImageCachePath(image.key, digest),
                        ),
                    );
                    return { digest: pulled.digest, archiveSha256: pulled.sha256 };
                  },
                  signingKeys,
                  now: () => context.date(),
                  sources,
                  timeouts: downloadTimeouts(context),
                }),
              );
      }
      const next: LockFile = { ...lock, environments: { ...lock.environments, ...updated } };
      const path = await writeLock(context.cwd, next);
      const lines = [`${path}`];
      for (const [name, entry] of Object.entries(updated)) {
        const before = lock.environments[name];
        const changed = JSON.stringify(before) !== JSON.stringify(entry);
        lines.push(
          `${name}: ${before ? (changed ? "updated" : "unchanged") : "added"}`,
          ...describeEntry(entry),
        );
      }
      context.reporter.result({ file: path, environments: updated }, lines.join("\n"));
      return 0;
    }

    const lines: string[] = [];
    const data: Record<string, unknown> = {};
    let stale = false;
    for (const loaded of environments) {
      const { environment } = loaded;
      const status = lockStatus(environment, lock);
      const resolved = resolveLockedEnvironment(environment, lock, undefined, {
        environmentFile: loaded.file,
      });
      stale ||= status.state !== "locked";
      const verdict =
        status.state === "locked"
          ? "locked, up to date"
          : status.state === "missing"
            ? `not in ${LOCK_FILE_NAME}: run \`homelab lock ${environment.name} --update\``
            : `out of date (${status.differences.join("; ")}): run \`homelab lock ${environment.name} --update\``;
      lines.push(`${environment.name}: ${verdict}`, ...describeEntry(resolved));
      data[environment.name] = { state: status.state, differences: status.differences, resolved };
    }
    context.reporter.result({ environments: data }, lines.join("\n"));
    return options.check === true && stale ? 1 : 0;
  },
};

export default command;
