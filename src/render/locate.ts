import { type LoadedEnvironment, locateDetails } from "../environment/index.js";
import { HomelabError } from "../errors/index.js";

/** `gitops.knownHosts.0` → ["gitops", "knownHosts", 0], as locateDetails wants it. */
function fieldPath(path: string): (string | number)[] {
  return path.split(".").map((segment) => (/^\d+$/.test(segment) ? Number(segment) : segment));
}

/**
 * Runs `work`; a HomelabError it throws that points into the environment file by field path
 * only (e.g. `gitops.url`) gets that field's line and column added. Locating is a courtesy:
 * the error is rethrown unchanged when the field cannot be found.
 */
export async function withEnvironmentLocations<T>(
  loaded: LoadedEnvironment,
  work: () => T | Promise<T>,
): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (!(error instanceof HomelabError)) throw error;
    const inEnvironment = (file: string | undefined) => file === undefined || file === loaded.file;
    const where = error.where;
    if (!where?.path || where.line !== undefined || !inEnvironment(where.file)) throw error;
    const detailsToLocate = error.details.filter(
      (d) => d.where?.path && d.where.line === undefined && inEnvironment(d.where.file),
    );
    const located = await locateDetails(loaded.absoluteFile, loaded.file, [
      { path: fieldPath(where.path), message: error.message },
      ...detailsToLocate.map((d) => ({ path: fieldPath(d.where?.path ?? ""), message: d.message })),
    ]);
    const [first, ...rest] = located;
    const details = error.details.map((detail) => {
      const index = detailsToLocate.indexOf(detail);
      return index >= 0 ? (rest[index] ?? detail) : detail;
    });
    throw new HomelabError(error.code, error.message, {
      where: first?.where ?? where,
      details,
      ...(error.fix === undefined ? {} : { fix: error.fix }),
      cause: error,
    });
  }
}
