import { RegistryClient } from "../../oci/index.js";
import type { CliContext } from "../context.js";
import { downloadTimeouts } from "./image.js";
import { registryBaseUrl } from "./release-sources.js";

/** The registry client of a command: the global fetch, the download timeouts, `HOMELAB_REGISTRY_URL`. */
export function registryClient(context: CliContext): RegistryClient {
  const mirror = registryBaseUrl(context.env);
  return new RegistryClient({
    fetch: (url, init) => fetch(url, init),
    timeouts: downloadTimeouts(context),
    ...(mirror ? { baseUrl: () => mirror } : {}),
  });
}
