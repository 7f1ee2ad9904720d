import { createHash } from "node:crypto";
import { readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { HomelabError, type SourceLocation } from "../errors/index.js";
import { artifactCacheDir, type VerifiedArtifact } from "./cache.js";
import type { ArtifactSpec } from "./catalog.js";
import { sha256File } from "./hash.js";
import { writeTarImage } from "./tar-image.js";

/** Bumped whenever the volume's layout changes, so that an old cached volume is never reused. */
export const ARTIFACT_VOLUME_FORMAT = 1;

/** What one volume entry is and where a node puts it. */
export interface ArtifactVolumeEntry {
  readonly entry: string;
  readonly mode: number;
  readonly sha256: string;
  readonly target: string;
  readonly installOn: ArtifactSpec["installOn"];
  readonly title: string;
  readonly recordedAt: SourceLocation;
}

/**
 * The artifact volume of an environment, known before a byte is read: its entries and a key
 * that is the SHA-256 of their description (format, names, modes, hashes). The same key means
 * the same bytes, so render can name the libvirt volume after it without building it.
 */
export interface ArtifactVolumePlan {
  /** The environment it is for. */
  readonly environment: string;
  /** 64 hex digits. */
  readonly key: string;
  /** `<key>.tar` under `<cacheRoot>/artifacts/volumes/`. */
  readonly fileName: string;
  /** In installation order (the catalog's: k3s last). */
  readonly entries: readonly ArtifactVolumeEntry[];
}

/** Pure: the volume for these artifacts. */
export function planArtifactVolume(specs: readonly ArtifactSpec[]): ArtifactVolumePlan {
  const entries = specs.map(
    (spec): ArtifactVolumeEntry => ({
      entry: spec.entry,
      mode: spec.mode,
      sha256: spec.sha256,
      target: spec.target,
      installOn: spec.installOn,
      title: spec.title,
      recordedAt: spec.recordedAt,
    }),
  );
  const description = [
    `homelab-artifacts ${ARTIFACT_VOLUME_FORMAT}`,
    ...[...entries]
      .sort((a, b) => (a.entry < b.entry ? -1 : a.entry > b.entry ? 1 : 0))
      .map((entry) => `${entry.entry} ${entry.mode.toString(8)} ${entry.sha256}`),
  ].join("\n");
  const key = createHash("sha256").update(description).digest("hex");
  return { environment: specs[0]?.environment ?? "", key, fileName: `${key}.tar`, entries };
}

/** The libvirt volume name for a host's pool: short, stable, new whenever the content changes. */
export function artifactVolumeName(prefix: string, plan: ArtifactVolumePlan): string {
  return `${prefix}-artifacts-${plan.key.slice(0, 12)}.tar`;
}

export function artifactVolumePath(cacheRoot: string, plan: ArtifactVolumePlan): string {
  return join(artifactCacheDir(cacheRoot), "volumes", plan.fileName);
}

export interface BuiltArtifactVolume {
  readonly plan: ArtifactVolumePlan;
  /** The raw disk image to upload (a ustar archive padded to whole MiB). */
  readonly path: string;
  readonly bytes: number;
  /** SHA-256 of the whole image. */
  readonly sha256: string;
  /** False when a cached image was reused after its hash was checked again. */
  readonly built: boolean;
}

interface VolumeRecord {
  readonly format: number;
  readonly key: string;
  readonly bytes: number;
  readonly sha256: string;
}

async function readRecord(path: string): Promise<VolumeRecord | undefined> {
  try {
    return JSON.parse(await readFile(path, "utf8")) as VolumeRecord;
  } catch {
    return undefined;
  }
}

/**
 * The volume image for `plan`, from verified cache entries. A cached image is reused only
 * after its SHA-256 matched the one recorded when it was built; otherwise it is written again
 * (`writeTarImage` re-hashes every artifact as it copies it, so a cache entry that changed
 * since it was verified is refused, never put into a volume).
 */
export async function ensureArtifactVolume(
  plan: ArtifactVolumePlan,
  artifacts: readonly VerifiedArtifact[],
  cacheRoot: string,
): Promise<BuiltArtifactVolume> {
  const path = artifactVolumePath(cacheRoot, plan);
  const recordPath = `${path}.json`;
  const record = await readRecord(recordPath);
  const size = await stat(path).then(
    (stats) => stats.size,
    () => undefined,
  );
  if (record?.format === ARTIFACT_VOLUME_FORMAT && record.key === plan.key && record.bytes === size) {
    const { sha256 } = await sha256File(path);
    if (sha256 === record.sha256) return { plan, path, bytes: record.bytes, sha256, built: false };
  }

  const byEntry = new Map(artifacts.map((artifact) => [artifact.spec.entry, artifact]));
  const sources = plan.entries.map((entry) => {
    const artifact = byEntry.get(entry.entry);
    if (!artifact || artifact.spec.sha256 !== entry.sha256) {
      throw new HomelabError(
        "artifact-not-cached",
        `the ${entry.title} was not verified before building the artifact volume`,
        {
          where: entry.recordedAt,
          fix: `Run \`homelab artifacts ${plan.environment}\` first; it downloads and verifies what the volume holds.`,
        },
      );
    }
    return {
      name: entry.entry,
      mode: entry.mode,
      source: artifact.path,
      sha256: entry.sha256,
      label: `the ${entry.title}`,
      recordedAt: entry.recordedAt,
      environment: plan.environment,
    };
  });
  await rm(recordPath, { force: true });
  const written = await writeTarImage(sources, path);
  const next: VolumeRecord = {
    format: ARTIFACT_VOLUME_FORMAT,
    key: plan.key,
    bytes: written.bytes,
    sha256: written.sha256,
  };
  const temporary = `${recordPath}.tmp`;
  await writeFile(temporary, `${JSON.stringify(next, null, 2)}\n`);
  await rename(temporary, recordPath);
  return { plan, path, bytes: written.bytes, sha256: written.sha256, built: true };
}
