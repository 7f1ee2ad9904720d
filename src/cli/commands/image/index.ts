import { HomelabError } from "../../../errors/index.js";
import type { CommandModule } from "../../command.js";
import { environmentArgument } from "../../lifecycle/options.js";
import { imageForEnvironment } from "./for-environment.js";

/**
 * `homelab image [ENV]`: downloads the environment's pinned Flatcar image into the cache
 * (resuming an interrupted download), verifies its OpenPGP signature with the Flatcar key that
 * ships with homelab, and prints where it is.
 */
const command: CommandModule = {
  configure(command) {
    environmentArgument(command)
      .option("--image <path>", "use a local image file (verified with <path>.sig beside it)")
      .option("--insecure-skip-verify", "with --image: accept an image without a signature (not recommended)")
      .option("--reverify", "verify a cached image again instead of trusting its verification record")
      .addHelpText(
        "after",
        "\nImages are cached in $HOMELAB_CACHE_DIR (default ~/.cache/homelab)/images/flatcar/<channel>/<version>/.\n" +
          "An image is only ever used after its signature verified with Flatcar's image-signing key\n" +
          "(shipped in src/image/flatcar-signing-key.asc) and, when homelab.lock.json records one, its sha512.\n\n" +
          "Examples:\n  homelab image\n  homelab image production\n  homelab image --image ./flatcar_production_qemu_image.img",
      );
  },
  async run(args, options, context) {
    const [name] = args as [string];
    if (options.insecureSkipVerify === true && typeof options.image !== "string") {
      throw new HomelabError(
        "usage",
        "--insecure-skip-verify only applies to a local image given with --image",
        {
          fix: "Downloaded images are always verified. Drop the flag, or pass --image PATH.",
        },
      );
    }
    const image = await imageForEnvironment(name, context, {
      ...(typeof options.image === "string" ? { image: options.image } : {}),
      insecureSkipVerify: options.insecureSkipVerify === true,
      reverify: options.reverify === true,
    });
    const how = image.verified ? `verified, signed by ${image.signingKeyFingerprint}` : "NOT VERIFIED";
    const from = {
      cache: "already cached",
      download: image.resumed ? "downloaded (resumed)" : "downloaded",
      local: "local file",
    }[image.source];
    context.reporter.result(
      {
        path: image.path,
        source: image.source,
        verified: image.verified,
        bytes: image.bytes,
        sha512: image.sha512 ?? null,
      },
      `${image.path}\n  ${from}, ${(image.bytes / 1024 ** 2).toFixed(1)} MiB, ${how}`,
    );
    return 0;
  },
};

export default command;
