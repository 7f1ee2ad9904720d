import { resolve } from "node:path";
import {
  type ArtifactProgress,
  artifactCacheDir,
  artifactsForEnvironment,
  ensureArtifact,
  ensureArtifactVolume,
  listArtifactCache,
  planArtifactVolume,
  type VerifiedArtifact,
} from "../../../artifacts/index.js";
import { loadEnvironment } from "../../../environment/index.js";
import { HomelabError } from "../../../errors/index.js";
import { readLock, resolveLockedEnvironment } from "../../../lock/index.js";
import type { CommandModule } from "../../command.js";
import type { CliContext } from "../../context.js";
import { environmentArgument } from "../../lifecycle/options.js";
import { registryClient } from "../../lifecycle/registry.js";
import type { ProgressHandle } from "../../reporter/index.js";

const mib = (bytes: number) => `${(bytes / 1024 ** 2).toFixed(1)} MiB`;

/** One progress bar per artifact and phase (download, then verification). */
function progressBars(context: CliContext): {
  onProgress: (event: ArtifactProgress) => void;
  finish: () => void;
} {
  let current: { key: string; handle: ProgressHandle } | undefined;
  return {
    onProgress: (event) => {
      const key = `${event.artifact.cachePath}:${event.phase}`;
      if (current?.key !== key) {
        current?.handle.finish();
        const verb = event.phase === "download" ? "Downloading" : "Verifying";
        current = {
          key,
          handle: context.reporter.progress(`${verb} the ${event.artifact.title}`, event.total, "bytes"),
        };
      }
      current.handle.update(event.done, event.total);
    },
    finish: () => {
      current?.handle.finish();
      current = undefined;
    },
  };
}

/**
 * `homelab artifacts [ENV]`: downloads (or imports with `--from`) what the environment's nodes
 * get from the machine that runs homelab — the k3s binary, Flux's install manifest with GitOps,
 * k3s's air-gap images when the environment delivers them — into the cache, verifies each
 * against the SHA-256 in homelab.lock.json, and lists the cache. `--volume` also builds the
 * artifact volume the nodes boot with.
 */
const command: CommandModule = {
  configure(command) {
    environmentArgument(command)
      .option(
        "--from <dir>",
        "import copies from a directory (k3s, install.yaml, k3s-airgap-images-amd64.tar.zst, <digest>.tar of an add-on image), verified",
      )
      .option("--no-download", "never use the network: verify what is cached, refuse what is missing")
      .option("--volume", "also build the artifact volume (a ustar disk image) the nodes install from")
      .addHelpText(
        "after",
        "\nArtifacts are cached in $HOMELAB_CACHE_DIR (default ~/.cache/homelab)/artifacts/<kind>/<version>/.\n" +
          "Each is used only while its SHA-256 matches homelab.lock.json; a file that does not is removed\n" +
          "and fetched again (or refused with --no-download). See docs/06-scale-out.md.\n\n" +
          "Examples:\n  homelab artifacts\n  homelab artifacts production --volume\n  homelab artifacts lab --from /media/usb/homelab",
      );
  },
  async run(args, options, context) {
    const [name] = args as [string];
    if (options.from !== undefined && typeof options.from !== "string") {
      throw new HomelabError("usage", "--from needs a directory", { fix: "Pass --from DIR." });
    }
    const importFrom = typeof options.from === "string" ? resolve(context.cwd, options.from) : undefined;
    const download = options.download !== false;
    const loaded = await loadEnvironment(name, { cwd: context.cwd, home: context.paths.home });
    const lock = await readLock(context.cwd);
    const locked = resolveLockedEnvironment(loaded.environment, lock, undefined, {
      environmentFile: loaded.file,
      onWarning: (warning) =>
        context.reporter.warn(`${warning.message}. ${warning.fix}`, { code: "lock-missing-artifact" }),
    });
    const specs = artifactsForEnvironment(loaded.environment, locked);
    const cacheRoot = context.paths.cacheRoot;

    const verified: VerifiedArtifact[] = [];
    for (const spec of specs) {
      const bars = progressBars(context);
      try {
        verified.push(
          await context.reporter.step(`The ${spec.title}`, () =>
            ensureArtifact(spec, {
              cacheRoot,
              ...(download
                ? { fetch: (url, init) => fetch(url, init), registry: registryClient(context) }
                : {}),
              ...(importFrom ? { importFrom } : {}),
              onProgress: bars.onProgress,
            }),
          ),
        );
      } finally {
        bars.finish();
      }
    }

    const volume =
      options.volume === true
        ? await context.reporter.step("Building the artifact volume", () =>
            ensureArtifactVolume(planArtifactVolume(specs), verified, cacheRoot),
          )
        : undefined;

    const cache = await listArtifactCache(cacheRoot);
    const used = new Set(verified.map((artifact) => artifact.path));
    const how = { cache: "cached", download: "downloaded", import: "imported" } as const;
    const lines = [
      `Artifacts for ${loaded.environment.name}, verified against homelab.lock.json:`,
      ...verified.flatMap((artifact) => [
        `  ${artifact.spec.title}: ${how[artifact.source]}${artifact.resumed ? " (resumed)" : ""}, ${mib(artifact.bytes)}, sha256 ${artifact.spec.sha256}`,
        `    ${artifact.path}`,
      ]),
      ...(volume
        ? [
            `Artifact volume (${volume.built ? "built" : "reused"}): ${mib(volume.bytes)}, sha256 ${volume.sha256}`,
            `  ${volume.path}`,
          ]
        : []),
      `Cache ${artifactCacheDir(cacheRoot)}:`,
      ...cache.map(
        (entry) =>
          `  ${entry.name}  ${mib(entry.bytes)}${used.has(entry.path) ? "" : "  (not used by this environment)"}`,
      ),
    ];
    context.reporter.result(
      {
        environment: loaded.environment.name,
        artifacts: verified.map((artifact) => ({
          kind: artifact.spec.kind,
          title: artifact.spec.title,
          version: artifact.spec.version,
          url: artifact.spec.url,
          sha256: artifact.spec.sha256,
          path: artifact.path,
          bytes: artifact.bytes,
          source: artifact.source,
          resumed: artifact.resumed,
        })),
        volume: volume
          ? {
              path: volume.path,
              bytes: volume.bytes,
              sha256: volume.sha256,
              key: volume.plan.key,
              built: volume.built,
            }
          : null,
        cache: cache.map((entry) => ({ ...entry, used: used.has(entry.path) })),
      },
      lines.join("\n"),
    );
    return 0;
  },
};

export default command;
