import { cachedImagePaths, type FlatcarChannel } from "../image/flatcar.js";

/**
 * Where the verified Flatcar qcow2 image of a release lives in homelab's cache (`homelab
 * image` downloads and verifies it there); `var.flatcar_image` defaults to it.
 */
export function flatcarImageCachePath(cacheRoot: string, channel: FlatcarChannel, version: string): string {
  return cachedImagePaths(cacheRoot, channel, version).image;
}
