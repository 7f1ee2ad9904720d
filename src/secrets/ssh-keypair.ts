import { createPrivateKey, createPublicKey, randomBytes } from "node:crypto";
import { HomelabError } from "../errors/index.js";
import { createSecretFileExclusive, readSecretFile, writeSecretFileAtomic } from "./files.js";
import type { EnsureSecretOptions } from "./k3s-token.js";

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

/**
 * A new Ed25519 key pair; `comment` ends the public line (e.g. `homelab@development`).
 *
 * The seed is 32 random bytes (RFC 8032 §5.1.5: an Ed25519 private key is exactly that) and the
 * public key is computed from it. Not generateKeyPairSync plus a JWK export: on Node 20 that pair
 * can deadlock the process for good when a garbage collection inside the export destroys the
 * key-generation job, which takes the same lock (seen here: a test worker stuck in
 * KeyGenJob::~KeyGenJob under KeyObjectHandle::ExportJWK).
 */
export function generateSshKeyPair(comment: string): SshKeyPair {
  assertComment(comment);
  const seed = randomBytes(32);
  const raw = derivePublicKey(seed);
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

/** PKCS#8 DER prefix of an Ed25519 private key (RFC 8410 §7): the 32-byte seed follows it. */
const ED25519_PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");
const ED25519_SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

/** The raw Ed25519 public key of a 32-byte seed, computed (not read from anywhere). */
function derivePublicKey(seed: Uint8Array): Buffer {
  const privateKey = createPrivateKey({
    key: Buffer.concat([ED25519_PKCS8_PREFIX, Buffer.from(seed)]),
    format: "der",
    type: "pkcs8",
  });
  // SubjectPublicKeyInfo of an Ed25519 key: a fixed 12-byte header, then the 32 key bytes.
  const spki = createPublicKey(privateKey).export({ format: "der", type: "spki" });
  if (
    spki.length !== ED25519_SPKI_PREFIX.length + 32 ||
    !spki.subarray(0, ED25519_SPKI_PREFIX.length).equals(ED25519_SPKI_PREFIX)
  )
    throw new HomelabError("internal", "node:crypto returned an Ed25519 public key of another shape");
  return Buffer.from(spki.subarray(ED25519_SPKI_PREFIX.length));
}

/**
 * Reads an unencrypted OpenSSH Ed25519 private key completely and checks it is whole: the
 * container's fields, the two check ints, the padding, and — the point — that the public key
 * *computed from the private seed* is the one the file states (twice). Returns the public line
 * derived from it, or undefined for anything else (truncated, damaged, another key type,
 * encrypted, or a file whose halves belong to different keys).
 */
export function derivePublicKeyLine(privateKey: string): string | undefined {
  const match = /-----BEGIN OPENSSH PRIVATE KEY-----([\s\S]*?)-----END OPENSSH PRIVATE KEY-----/.exec(
    privateKey,
  );
  if (!match?.[1]) return undefined;
  const body = Buffer.from(match[1].replace(/\s+/g, ""), "base64");
  if (body.subarray(0, AUTH_MAGIC.length).toString("binary") !== AUTH_MAGIC) return undefined;
  const reader = (buffer: Buffer, start: number) => {
    let offset = start;
    return {
      string(): Buffer | undefined {
        if (offset + 4 > buffer.length) return undefined;
        const length = buffer.readUInt32BE(offset);
        if (offset + 4 + length > buffer.length) return undefined;
        const value = buffer.subarray(offset + 4, offset + 4 + length);
        offset += 4 + length;
        return value;
      },
      uint32(): number | undefined {
        if (offset + 4 > buffer.length) return undefined;
        const value = buffer.readUInt32BE(offset);
        offset += 4;
        return value;
      },
      rest: () => buffer.subarray(offset),
    };
  };
  const outer = reader(body, AUTH_MAGIC.length);
  if (outer.string()?.toString() !== "none") return undefined; // cipher: encrypted keys are not homelab's
  if (outer.string()?.toString() !== "none") return undefined; // kdf
  if (outer.string() === undefined) return undefined; // kdf options
  if (outer.uint32() !== 1) return undefined;
  const blob = outer.string();
  const section = outer.string();
  if (!blob || !section || section.length % BLOCK_SIZE !== 0) return undefined;
  const publicFromBlob = reader(blob, 0);
  if (publicFromBlob.string()?.toString() !== KEY_TYPE) return undefined;
  const blobKey = publicFromBlob.string();
  const inner = reader(section, 0);
  const check1 = inner.uint32();
  if (check1 === undefined || check1 !== inner.uint32()) return undefined;
  if (inner.string()?.toString() !== KEY_TYPE) return undefined;
  const statedPublic = inner.string();
  const secret = inner.string();
  const comment = inner.string();
  if (!blobKey || !statedPublic || !secret || comment === undefined || secret.length !== 64) return undefined;
  const padding = inner.rest();
  if (!padding.every((byte, index) => byte === index + 1)) return undefined;
  const derived = derivePublicKey(secret.subarray(0, 32));
  if (!derived.equals(statedPublic) || !derived.equals(blobKey) || !derived.equals(secret.subarray(32)))
    return undefined;
  return encodeOpenSshPublicKey(derived, comment.toString("utf8"));
}

/** `ssh-ed25519 AAAA…` without the comment: what identifies the key. */
function keyOf(line: string): string {
  return line.trim().split(/\s+/).slice(0, 2).join(" ");
}

export interface SshKeyPairPaths {
  readonly privateKeyPath: string;
  readonly publicKeyPath: string;
  /** Comment of a newly generated key, e.g. `homelab@development`. */
  readonly comment: string;
}

function notAKey(path: string): HomelabError {
  return new HomelabError("secret-invalid", `${path} is not a whole, unencrypted Ed25519 OpenSSH key`, {
    where: { file: path },
    fix: "The file is damaged (truncated?) or was replaced. Restore it from a backup of the state directory, or delete both key files and rebuild the environment (new nodes get the new key).",
  });
}

/**
 * The key pair at the given paths, generated once (both files 0600) when the private key does
 * not exist yet. The private key is the truth: it is checked whole, its public key is computed
 * from it, and the `.pub` beside it must be that key — a `.pub` of another key (a swapped or
 * replaced private key) is refused with `secret-invalid`; a missing `.pub` is written. Creation
 * is exclusive and the stored key is read back, so concurrent first renders all use one pair.
 * `onMissing` may refuse creating a key that is missing.
 */
export async function ensureSshKeyPair(
  paths: SshKeyPairPaths,
  options: EnsureSecretOptions = {},
): Promise<SshKeyPair> {
  assertComment(paths.comment);
  let privateKey = await readSecretFile(paths.privateKeyPath);
  // Whether the private key is new (made by this call or by a concurrent homelab): then a
  // .pub that does not match is the leftover of a deleted key, not a sign of a swapped one.
  const isNew = privateKey === undefined;
  if (privateKey === undefined) {
    await options.onMissing?.(paths.privateKeyPath, "SSH private key");
    await createSecretFileExclusive(paths.privateKeyPath, generateSshKeyPair(paths.comment).privateKey);
    privateKey = await readSecretFile(paths.privateKeyPath);
    if (privateKey === undefined) throw notAKey(paths.privateKeyPath);
  }
  const derived = derivePublicKeyLine(privateKey);
  if (derived === undefined) throw notAKey(paths.privateKeyPath);
  let stored = await readSecretFile(paths.publicKeyPath);
  if (stored === undefined) {
    await createSecretFileExclusive(paths.publicKeyPath, derived);
    stored = (await readSecretFile(paths.publicKeyPath)) ?? derived;
  }
  if (keyOf(stored) !== keyOf(derived)) {
    if (!isNew) {
      throw new HomelabError(
        "secret-invalid",
        `${paths.privateKeyPath} and ${paths.publicKeyPath} are not a key pair: the public key computed from the private key is not the one in the .pub file`,
        {
          where: { file: paths.privateKeyPath },
          fix:
            "One of the two files was replaced. If you restored the private key from a backup, restore its .pub too (or delete " +
            `the .pub: homelab writes it again from the private key). Nodes trust the key that was in the .pub when they were built.`,
        },
      );
    }
    await writeSecretFileAtomic(paths.publicKeyPath, derived);
    stored = derived;
  }
  return { publicKey: stored.endsWith("\n") ? stored : `${stored}\n`, privateKey };
}
