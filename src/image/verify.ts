import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { Readable, Transform } from "node:stream";
import type { PublicKey, Signature } from "openpgp";
import { HomelabError } from "../errors/index.js";

export interface VerifyFileOptions {
  readonly file: string;
  /** The detached signature: binary (Flatcar's `.sig`) or ASCII-armored. */
  readonly signature: Uint8Array;
  readonly keys: readonly PublicKey[];
  /** "Now" for the signature's own validity (not in the future, not expired). */
  readonly date: Date;
  /** Called as bytes are read (for a progress bar). */
  readonly onProgress?: (done: number, total: number) => void;
  /** How to name the file in messages (URL or path); default the path. */
  readonly label?: string;
}

export interface VerifiedFile {
  readonly bytes: number;
  /** Lowercase hex SHA-512 of the file, computed in the same pass as the signature check. */
  readonly sha512: string;
  /** Fingerprint of the (sub)key that made the signature. */
  readonly signingKeyFingerprint: string;
  /** Fingerprint of its primary key. */
  readonly primaryKeyFingerprint: string;
  readonly signedAt: Date | undefined;
}

const ARMOR = "-----BEGIN PGP SIGNATURE-----";

/** Parses a binary or armored detached signature; anything else is refused as invalid. */
export async function parseDetachedSignature(bytes: Uint8Array, label: string): Promise<Signature> {
  const openpgp = await import("openpgp");
  const text = Buffer.from(bytes.subarray(0, 64)).toString("latin1");
  try {
    return text.includes(ARMOR)
      ? await openpgp.readSignature({ armoredSignature: Buffer.from(bytes).toString("utf8") })
      : await openpgp.readSignature({ binarySignature: bytes });
  } catch (error) {
    throw new HomelabError(
      "image-signature-invalid",
      `the signature of ${label} is not an OpenPGP signature: ${(error as Error).message}`,
      {
        fix: "Download it again (`homelab image`); a proxy or mirror may have served an error page instead.",
      },
    );
  }
}

/**
 * Verifies a detached OpenPGP signature over a file of any size, streaming: the file is read
 * once, in 1 MiB chunks, feeding openpgp.js's hash and a SHA-512 at the same time, so a
 * 500 MB image never has to fit in memory. Resolves only when a signature by one of `keys`
 * verifies; otherwise throws `image-signature-invalid` saying why (tampered file, or signed by
 * a key that is not Flatcar's).
 */
export async function verifyDetachedSignature(options: VerifyFileOptions): Promise<VerifiedFile> {
  const openpgp = await import("openpgp");
  const label = options.label ?? options.file;
  const signature = await parseDetachedSignature(options.signature, label);
  const total = (await stat(options.file)).size;
  const sha512 = createHash("sha512");
  let done = 0;
  const source = createReadStream(options.file, { highWaterMark: 1 << 20 });
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      sha512.update(chunk);
      done += chunk.length;
      options.onProgress?.(done, total);
      callback(null, chunk);
    },
  });
  source.on("error", (error) => tap.destroy(error));
  source.pipe(tap);
  const message = await openpgp.createMessage({ binary: Readable.toWeb(tap) as ReadableStream<Uint8Array> });
  const result = await openpgp.verify({
    message,
    signature,
    verificationKeys: [...options.keys],
    date: options.date,
    format: "binary",
  });
  // openpgp.js hashes while the data is read: drain it, then ask for the verdicts.
  const reader = (result.data as ReadableStream<Uint8Array>).getReader();
  while (!(await reader.read()).done) {
    // the bytes are already hashed; nothing else to do with them
  }
  const outcomes = await Promise.allSettled(result.signatures.map((entry) => entry.verified));
  for (const [index, outcome] of outcomes.entries()) {
    if (outcome.status !== "fulfilled") continue;
    const entry = result.signatures[index];
    if (!entry) continue;
    const primary = options.keys.find((key) => key.getKeys(entry.keyID).length > 0);
    const signingKey = primary?.getKeys(entry.keyID)[0];
    const packet = (await entry.signature).packets[0];
    return {
      bytes: done,
      sha512: sha512.digest("hex"),
      signingKeyFingerprint: signingKey?.getFingerprint().toUpperCase() ?? entry.keyID.toHex().toUpperCase(),
      primaryKeyFingerprint: primary?.getFingerprint().toUpperCase() ?? "",
      signedAt: packet?.created ?? undefined,
    };
  }
  if (result.signatures.length === 0) {
    throw new HomelabError("image-signature-invalid", `the signature file of ${label} holds no signature`, {
      fix: "Download it again (`homelab image`).",
    });
  }
  const reasons = outcomes.map((outcome) =>
    outcome.status === "rejected" ? String((outcome.reason as Error)?.message ?? outcome.reason) : "",
  );
  const unknownKey = reasons.every((reason) => /could not find signing key/i.test(reason));
  if (unknownKey) {
    const ids = result.signatures.map((entry) => entry.keyID.toHex().toUpperCase()).join(", ");
    throw new HomelabError(
      "image-signature-invalid",
      `${label} is signed by key ${ids}, which is not part of Flatcar's image-signing key`,
      {
        fix:
          "Do not use this image. If Flatcar has rotated its signing subkey, update homelab (it ships the key in " +
          "src/image/flatcar-signing-key.asc); otherwise the file did not come from Flatcar.",
      },
    );
  }
  throw new HomelabError(
    "image-signature-invalid",
    `${label} does not match its OpenPGP signature (${reasons.join("; ")})`,
    {
      fix: "The download was corrupted or modified. It was removed; run `homelab image` again to fetch it afresh. If it fails again, your network or mirror serves a modified file.",
    },
  );
}
