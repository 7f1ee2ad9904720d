import type { PublicKey } from "openpgp";
import { HomelabError } from "../errors/index.js";
import { FLATCAR_IMAGE_FILE } from "./flatcar.js";

/**
 * Flatcar's `<artifact>.DIGESTS` lists hashes per algorithm in sections ("# MD5 HASH",
 * "# SHA1 HASH", "# SHA512 HASH", …), each line `<hex>  <file name>`. BLAKE2B digests are
 * 128 hex digits too, so the section header decides, not the length.
 */
export function parseDigests(text: string, fileName = FLATCAR_IMAGE_FILE): Map<string, string> {
  const digests = new Map<string, string>();
  let algorithm: string | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    const header = /^#\s*([A-Z0-9]+)\s+HASH$/i.exec(line);
    if (header?.[1]) {
      algorithm = header[1].toLowerCase();
      continue;
    }
    const entry = /^([0-9a-fA-F]+)\s+\*?(\S+)$/.exec(line);
    if (entry?.[1] && algorithm && entry[2] === fileName && !digests.has(algorithm)) {
      digests.set(algorithm, entry[1].toLowerCase());
    }
  }
  return digests;
}

/**
 * Verifies a DIGESTS file's OpenPGP signature and returns the signed text. Flatcar's `.asc`
 * may be a clear-signed copy of the DIGESTS or a detached armored signature of it; both are
 * accepted (for the detached form, `digestsText` is what it signs). Resolves with the signed
 * text and the primary fingerprint of the key that signed it.
 */
export async function verifyDigests(options: {
  readonly signatureText: string;
  readonly digestsText: string | undefined;
  readonly keys: readonly PublicKey[];
  readonly date: Date;
  readonly label: string;
}): Promise<{ readonly text: string; readonly primaryKeyFingerprint: string }> {
  const openpgp = await import("openpgp");
  const invalid = (reason: string) =>
    new HomelabError("lock-update-failed", `${options.label}: the signed DIGESTS do not verify (${reason})`, {
      fix: "Run the update again later; if it keeps failing, the mirror serves modified files. The lock file was not changed.",
    });
  let signedText: string;
  let verification: Awaited<ReturnType<typeof openpgp.verify>>;
  try {
    if (options.signatureText.includes("-----BEGIN PGP SIGNED MESSAGE-----")) {
      const message = await openpgp.readCleartextMessage({ cleartextMessage: options.signatureText });
      verification = await openpgp.verify({
        message,
        verificationKeys: [...options.keys],
        date: options.date,
      });
      signedText = message.getText();
    } else {
      if (options.digestsText === undefined)
        throw new Error("no DIGESTS file to check the detached signature against");
      const message = await openpgp.createMessage({ text: options.digestsText });
      const signature = await openpgp.readSignature({ armoredSignature: options.signatureText });
      verification = await openpgp.verify({
        message,
        signature,
        verificationKeys: [...options.keys],
        date: options.date,
      });
      signedText = options.digestsText;
    }
  } catch (error) {
    throw invalid((error as Error).message);
  }
  const outcomes = await Promise.allSettled(verification.signatures.map((entry) => entry.verified));
  const good = outcomes.findIndex((outcome) => outcome.status === "fulfilled");
  const signer = verification.signatures[good];
  if (!signer) {
    const reasons = outcomes
      .map((outcome) => (outcome.status === "rejected" ? (outcome.reason as Error).message : ""))
      .join("; ");
    throw invalid(reasons || "no signature");
  }
  const primary = options.keys.find((key) => key.getKeys(signer.keyID).length > 0);
  return { text: signedText, primaryKeyFingerprint: primary?.getFingerprint().toUpperCase() ?? "" };
}
