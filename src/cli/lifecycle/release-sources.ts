import { HomelabError } from "../../errors/index.js";
import type { LockSources } from "../../lock/index.js";

/**
 * Where `homelab lock --update` and `homelab upgrade` read release metadata (k3s's
 * `sha256sum-amd64.txt`, Flatcar's signed DIGESTS): the canonical hosts, or a mirror named by
 * `HOMELAB_K3S_RELEASES_URL` (the base under which `<version>/sha256sum-amd64.txt` lies) and
 * `HOMELAB_FLATCAR_RELEASES_URL` (`{channel}` replaced by the channel). The checks stay the same
 * whatever the source: Flatcar's DIGESTS must verify with the shipped key, and a published k3s
 * hash must match the one homelab ships for that version. A mirror must be https://, except on
 * the loopback interface (the tests' stand-in servers).
 */
export function releaseSources(env: NodeJS.ProcessEnv): LockSources {
  const k3s = sourceUrl(env, "HOMELAB_K3S_RELEASES_URL");
  const flatcar = sourceUrl(env, "HOMELAB_FLATCAR_RELEASES_URL");
  return {
    ...(k3s === undefined ? {} : { k3sBaseUrl: k3s }),
    ...(flatcar === undefined ? {} : { flatcarBaseUrl: flatcar }),
  };
}

/**
 * The registry homelab pulls add-on images from: each image's own registry (ghcr.io), or one
 * mirror named by `HOMELAB_REGISTRY_URL` that serves every repository under its own name (the
 * tests' stand-in on 127.0.0.1). Digests are checked whatever the source.
 */
export function registryBaseUrl(env: NodeJS.ProcessEnv): string | undefined {
  return sourceUrl(env, "HOMELAB_REGISTRY_URL");
}

function sourceUrl(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name];
  if (value === undefined || value === "") return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new HomelabError("usage", `${name}=${JSON.stringify(value)} is not a URL`, {
      fix: `Unset ${name}, or set it to the https:// base URL of a release mirror.`,
    });
  }
  const loopback = ["127.0.0.1", "[::1]", "localhost"].includes(url.hostname);
  if (url.protocol !== "https:" && !(url.protocol === "http:" && loopback)) {
    throw new HomelabError("usage", `${name} must be an https:// URL, not ${url.protocol}//${url.host}`, {
      fix: `Unset ${name}, or point it at an https:// mirror (plain http only on 127.0.0.1).`,
    });
  }
  return value;
}
