import { gunzipSync } from "node:zlib";
import { HomelabError } from "../errors/index.js";

/** Something in an Ignition config that would be fetched over the network at first boot. */
export interface RemoteSource {
  /** JSON path in the config, e.g. `$.storage.files.3.contents.source`; merged configs continue after `→`. */
  readonly path: string;
  readonly url: string;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A `data:` URL's bytes, or undefined when it is not one homelab can decode. */
function decodeDataUrl(url: string): Buffer | undefined {
  const match = /^data:([^,]*),(.*)$/s.exec(url);
  if (!match) return undefined;
  const [, meta = "", data = ""] = match;
  try {
    return meta.split(";").includes("base64")
      ? Buffer.from(decodeURIComponent(data), "base64")
      : Buffer.from(decodeURIComponent(data), "latin1");
  } catch {
    return undefined;
  }
}

function walk(value: Json, path: string, found: RemoteSource[], parentKey: string | undefined): void {
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) walk(item, `${path}.${index}`, found, parentKey);
    return;
  }
  if (value === null || typeof value !== "object") return;
  const inConfigReference = parentKey === "merge" || parentKey === "replace";
  for (const [key, child] of Object.entries(value)) {
    const childPath = `${path}.${key}`;
    // Every Ignition resource (files, merged/replaced configs, CA bundles, LUKS key files)
    // names its content `source`; Tang servers of Clevis are reached at `url`.
    if ((key === "source" || (key === "url" && parentKey === "tang")) && typeof child === "string") {
      if (child === "") continue;
      if (!child.startsWith("data:")) {
        found.push({ path: childPath, url: child });
        continue;
      }
      if (key === "source" && inConfigReference) {
        // A merged config (e.g. an environment's Butane snippet) may download things itself.
        let bytes = decodeDataUrl(child);
        if (bytes && value.compression === "gzip") bytes = gunzipSync(bytes);
        let nested: Json | undefined;
        try {
          nested = bytes ? (JSON.parse(bytes.toString("utf8")) as Json) : undefined;
        } catch {
          nested = undefined;
        }
        if (nested === undefined)
          found.push({ path: childPath, url: "data: (a config homelab cannot read)" });
        else walk(nested, `${childPath} → $`, found, undefined);
      }
      continue;
    }
    walk(child, childPath, found, key);
  }
}

/**
 * Every remote source an Ignition config would fetch at first boot: `storage.files[].contents`
 * and `append` sources, merged and replaced configs (also inside merged `data:` configs,
 * decoded and followed), TLS CA bundles, LUKS key files, Clevis Tang URLs. `data:` sources are
 * inline and not listed. An environment with `offline: true` must have none.
 */
export function remoteSources(ignition: string | object): RemoteSource[] {
  const config = (typeof ignition === "string" ? JSON.parse(ignition) : ignition) as Json;
  const found: RemoteSource[] = [];
  walk(config, "$", found, undefined);
  return found;
}

/**
 * Refuses an offline environment's node config that would still download something:
 * `offline-remote-source`, naming the node, the JSON path and the URL.
 */
export function assertOfflineIgnition(
  nodeName: string,
  ignition: string | object,
  environmentFile?: string,
): void {
  const sources = remoteSources(ignition);
  const [first] = sources;
  if (!first) return;
  throw new HomelabError(
    "offline-remote-source",
    `${nodeName}'s Ignition would download ${first.url} at first boot, but the environment is offline${sources.length > 1 ? ` (and ${sources.length - 1} more)` : ""}`,
    {
      where: { ...(environmentFile ? { file: environmentFile } : {}), path: "offline" },
      details: sources.map((source) => ({ message: `${nodeName}: ${source.path}: ${source.url}` })),
      fix:
        "Deliver the file on the artifact volume or inline it in the snippet (`contents.inline` or `local:`), " +
        "or set offline: false if the nodes may reach the internet.",
    },
  );
}
