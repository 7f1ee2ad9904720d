import { generateKeyPairSync, randomBytes } from "node:crypto";
import { HomelabError } from "../errors/index.js";
import { readSecretFile, writeSecretFileAtomic } from "./files.js";

/**
 * Ed25519 SSH key pairs in OpenSSH's own formats, made with node:crypto (no ssh-keygen needed):
 * - public: the `authorized_keys` line `ssh-ed25519 <base64 blob> <comment>`, where the blob is
 *   string("ssh-ed25519") + string(32-byte public key) in SSH wire encoding (RFC 4253 §6.6,
 *   RFC 8709 §4);
 * - private: an unencrypted `openssh-key-v1` container (OpenSSH's PROTOCOL.key), PEM-armoured as
 *   `-----BEGIN OPENSSH PRIVATE KEY-----`, which `ssh -i` and `ssh-keygen -y -f` read.
 * Used for homelab's own key to the nodes and for Flux deploy keys.
 */

export interface SshKeyPair {
  /** One line, newline-terminated: `ssh-ed25519 AAAA… <comment>\n`. */
  readonly publicKey: string;
  /** The OpenSSH private key file contents, newline-terminated. */
  readonly privateKey: string;
}

const KEY_TYPE = "ssh-ed25519";
const AUTH_MAGIC = "openssh-key-v1\0";
/** Cipher block size for "none": the private section is padded to a multiple of it. */
const BLOCK_SIZE = 8;

function sshString(data: Uint8Array | string): Buffer {
  const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : Buffer.from(data);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

function uint32(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32BE(value >>> 0);
  return buffer;
}

function fromBase64Url(text: string): Buffer {
  return Buffer.from(text, "base64url");
}

/** The SSH wire-format public key blob of a raw Ed25519 public key. */
function publicBlob(publicKey: Uint8Array): Buffer {
  return Buffer.concat([sshString(KEY_TYPE), sshString(publicKey)]);
}

function assertComment(comment: string): void {
  if (/[\r\n\0]/.test(comment)) {
    throw new HomelabError("internal", "an SSH key comment must be one line");
  }
}

/** The openssh-key-v1 container for a raw key pair (exported for tests with a fixed check int). */
export function encodeOpenSshPrivateKey(
  seed: Uint8Array,
  publicKey: Uint8Array,
  comment: string,
  checkInt: number,
): string {
  const privateSection = Buffer.concat([
    uint32(checkInt),
    uint32(checkInt),
    sshString(KEY_TYPE),
    sshString(publicKey),
    // OpenSSH stores the 64-byte "secret key" of ref10: seed followed by the public key.
    sshString(Buffer.concat([Buffer.from(seed), Buffer.from(publicKey)])),
    sshString(comment),
  ]);
  const padLength = (BLOCK_SIZE - (privateSection.length % BLOCK_SIZE)) % BLOCK_SIZE;
  const padding = Buffer.from(Array.from({ length: padLength }, (_, i) => i + 1));
  const body = Buffer.concat([
    Buffer.from(AUTH_MAGIC, "binary"),
    sshString("none"), // cipher
    sshString("none"), // kdf
    sshString(""), // kdf options
    uint32(1), // number of keys
    sshString(publicBlob(publicKey)),
    sshString(Buffer.concat([privateSection, padding])),
  ]);
  const lines = body.toString("base64").match(/.{1,70}/g) ?? [];
  return `-----BEGIN OPENSSH PRIVATE KEY-----\n${lines.join("\n")}\n-----END OPENSSH PRIVATE KEY-----\n`;
}

/** The `authorized_keys` line of a raw Ed25519 public key. */
export function encodeOpenSshPublicKey(publicKey: Uint8Array, comment: string): string {
  return `${KEY_TYPE} ${publicBlob(publicKey).toString("base64")} ${comment}\n`;
}

/** A new Ed25519 key pair; `comment` ends the public line (e.g. `homelab@development`). */
export function generateSshKeyPair(comment: string): SshKeyPair {
  assertComment(comment);
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  const publicJwk = publicKey.export({ format: "jwk" });
  const privateJwk = privateKey.export({ format: "jwk" });
  if (!publicJwk.x || !privateJwk.d)
    throw new HomelabError("internal", "node:crypto returned an Ed25519 key without x/d");
  const raw = fromBase64Url(publicJwk.x);
  const seed = fromBase64Url(privateJwk.d);
  return {
    publicKey: encodeOpenSshPublicKey(raw, comment),
    privateKey: encodeOpenSshPrivateKey(seed, raw, comment, randomBytes(4).readUInt32BE()),
  };
}

/** Recovers the public line from an OpenSSH Ed25519 private key file written by homelab. */
export function publicKeyFromOpenSshPrivateKey(privateKey: string): string | undefined {
  const match = /-----BEGIN OPENSSH PRIVATE KEY-----([\s\S]*?)-----END OPENSSH PRIVATE KEY-----/.exec(
    privateKey,
  );
  if (!match?.[1]) return undefined;
  const body = Buffer.from(match[1].replace(/\s+/g, ""), "base64");
  if (body.subarray(0, AUTH_MAGIC.length).toString("binary") !== AUTH_MAGIC) return undefined;
  let offset = AUTH_MAGIC.length;
  const readString = (): Buffer | undefined => {
    if (offset + 4 > body.length) return undefined;
    const length = body.readUInt32BE(offset);
    offset += 4;
    if (offset + length > body.length) return undefined;
    const value = body.subarray(offset, offset + length);
    offset += length;
    return value;
  };
  const cipher = readString();
  readString(); // kdf
  readString(); // kdf options
  if (cipher?.toString() !== "none") return undefined;
  offset += 4; // key count
  const blob = readString();
  const section = readString();
  if (!blob || !section) return undefined;
  // Comment: after two check ints, type, public key and secret key in the private section.
  let inner = 8;
  const innerString = (): Buffer | undefined => {
    if (inner + 4 > section.length) return undefined;
    const length = section.readUInt32BE(inner);
    inner += 4;
    const value = section.subarray(inner, inner + length);
    inner += length;
    return value;
  };
  innerString();
  innerString();
  innerString();
  const comment = innerString()?.toString("utf8") ?? "";
  const typeLength = blob.length >= 4 ? blob.readUInt32BE(0) : 0;
  if (blob.subarray(4, 4 + typeLength).toString() !== KEY_TYPE) return undefined;
  return `${KEY_TYPE} ${blob.toString("base64")} ${comment}\n`;
}

export interface SshKeyPairPaths {
  readonly privateKeyPath: string;
  readonly publicKeyPath: string;
  /** Comment of a newly generated key, e.g. `homelab@development`. */
  readonly comment: string;
}

/**
 * The key pair at the given paths, generated once (both files 0600) when the private key does
 * not exist yet. An existing private key must be 0600; the public file is rewritten from it
 * if it is missing.
 */
export async function ensureSshKeyPair(paths: SshKeyPairPaths): Promise<SshKeyPair> {
  const existing = await readSecretFile(paths.privateKeyPath);
  if (existing !== undefined) {
    const publicKey = (await readSecretFile(paths.publicKeyPath)) ?? publicKeyFromOpenSshPrivateKey(existing);
    if (publicKey === undefined || !publicKey.startsWith(`${KEY_TYPE} `)) {
      throw new HomelabError(
        "secret-invalid",
        `${paths.privateKeyPath} is not an unencrypted Ed25519 OpenSSH key`,
        {
          where: { file: paths.privateKeyPath },
          fix: "Restore the file from a backup, or delete both key files and rebuild the environment (new nodes get the new key).",
        },
      );
    }
    if (!(await readSecretFile(paths.publicKeyPath)))
      await writeSecretFileAtomic(paths.publicKeyPath, publicKey);
    return { publicKey, privateKey: existing };
  }
  const pair = generateSshKeyPair(paths.comment);
  await writeSecretFileAtomic(paths.privateKeyPath, pair.privateKey);
  await writeSecretFileAtomic(paths.publicKeyPath, pair.publicKey);
  return pair;
}
