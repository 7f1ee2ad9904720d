import { mkdir, stat, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { readKey } from "openpgp";
import { cachedImagePaths } from "../../src/image/flatcar.js";
import { readShippedSigningKey } from "../../src/image/signing-key.js";

/**
 * A STAND-IN for `homelab image`: puts a small file at the cache path of a Flatcar release and
 * writes the verification record `homelab image` writes after checking Flatcar's signature, so
 * that plan and apply — which refuse an image nothing vouches for — accept it. No Flatcar image
 * can be downloaded here, and nothing boots from it (the libvirt resources are stand-ins too);
 * the verification itself is tested in test/image/.
 */
export async function standInVerifiedImage(cacheRoot: string, version = "4757.2.1"): Promise<void> {
  const paths = cachedImagePaths(cacheRoot, "stable", version);
  await mkdir(dirname(paths.image), { recursive: true });
  await writeFile(paths.image, "stand-in for a Flatcar qcow2 image\n");
  const key = await readKey({ armoredKey: await readShippedSigningKey() });
  const signing = key.getSubkeys()[0]?.getFingerprint().toUpperCase() ?? key.getFingerprint().toUpperCase();
  const stats = await stat(paths.image, { bigint: true });
  const record = {
    version: 2,
    sha512: "0".repeat(128),
    primaryKeyFingerprint: key.getFingerprint().toUpperCase(),
    signingKeyFingerprint: signing,
    size: String(stats.size),
    dev: String(stats.dev),
    ino: String(stats.ino),
    mtimeNs: String(stats.mtimeNs),
    ctimeNs: String(stats.ctimeNs),
    verifiedAt: new Date().toISOString(),
  };
  await writeFile(paths.record, `${JSON.stringify(record, null, 2)}\n`);
}
