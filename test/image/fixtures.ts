/**
 * Test fixtures for the image module: an OpenPGP key made in the test (RSA with a signing
 * subkey and binary detached signatures, like Flatcar's), and a small HTTP server on
 * 127.0.0.1 that serves files with Range support and can misbehave on purpose.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import * as openpgp from "openpgp";

export interface TestKey {
  readonly armoredPublicKey: string;
  readonly privateKey: openpgp.PrivateKey;
  readonly fingerprint: string;
}

export async function makeKey(name = "Test Image Signer"): Promise<TestKey> {
  const { privateKey, publicKey } = await openpgp.generateKey({
    type: "rsa",
    rsaBits: 2048,
    userIDs: [{ name, email: "signer@example.org" }],
    subkeys: [{ sign: true }],
    format: "armored",
  });
  const key = await openpgp.readPrivateKey({ armoredKey: privateKey });
  return { armoredPublicKey: publicKey, privateKey: key, fingerprint: key.getFingerprint().toUpperCase() };
}

/** A binary detached signature, as Flatcar publishes `.sig` files. */
export async function signDetached(data: Uint8Array, key: TestKey, date?: Date): Promise<Uint8Array> {
  const message = await openpgp.createMessage({ binary: data });
  return openpgp.sign({
    message,
    signingKeys: key.privateKey,
    detached: true,
    format: "binary",
    ...(date ? { date } : {}),
  });
}

export async function signArmored(text: string, key: TestKey): Promise<string> {
  return openpgp.sign({
    message: await openpgp.createMessage({ text }),
    signingKeys: key.privateKey,
    detached: true,
  });
}

export async function clearSign(text: string, key: TestKey): Promise<string> {
  return openpgp.sign({
    message: await openpgp.createCleartextMessage({ text }),
    signingKeys: key.privateKey,
  });
}

/** Deterministic pseudo-random bytes (so a failing test reproduces). */
export function testBytes(size: number, seed = 1): Uint8Array {
  const bytes = new Uint8Array(size);
  let state = seed >>> 0 || 1;
  for (let index = 0; index < size; index++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    bytes[index] = state & 0xff;
  }
  return bytes;
}

export interface ServedFile {
  body: Uint8Array;
  /** Drop the connection after this many body bytes, for the next `dropTimes` requests. */
  dropAfter?: number;
  dropTimes?: number;
  /** Answer Range requests with 200 and the whole body (a server without Range support). */
  ignoreRange?: boolean;
  /** Answer Range requests with a 206 whose Content-Range starts elsewhere. */
  wrongRange?: boolean;
  status?: number;
}

export interface RequestLog {
  readonly path: string;
  readonly range: string | undefined;
  readonly status: number;
}

export interface TestServer {
  readonly base: string;
  readonly files: Map<string, ServedFile>;
  readonly requests: RequestLog[];
  close(): Promise<void>;
}

function respond(
  file: ServedFile | undefined,
  request: IncomingMessage,
  response: ServerResponse,
  log: RequestLog[],
): void {
  const path = new URL(request.url ?? "/", "http://x").pathname;
  const range = request.headers.range;
  const record = (status: number) => log.push({ path, range, status });
  if (!file) {
    record(404);
    response.writeHead(404).end("not found");
    return;
  }
  if (file.status) {
    record(file.status);
    response.writeHead(file.status).end("error");
    return;
  }
  const total = file.body.length;
  let start = 0;
  let status = 200;
  const match = range ? /^bytes=(\d+)-$/.exec(range) : null;
  if (match && !file.ignoreRange) {
    start = Number(match[1]);
    if (start >= total) {
      record(416);
      response.writeHead(416, { "Content-Range": `bytes */${total}` }).end();
      return;
    }
    status = 206;
  }
  const headers: Record<string, string | number> = {
    "Content-Length": total - start,
    "Content-Type": "application/octet-stream",
  };
  if (status === 206) {
    const shown = file.wrongRange ? Math.max(0, start - 1) : start;
    headers["Content-Range"] = `bytes ${shown}-${total - 1}/${total}`;
  }
  record(status);
  response.writeHead(status, headers);
  const body = file.body.subarray(start);
  if (file.dropAfter !== undefined && (file.dropTimes ?? 1) > 0) {
    file.dropTimes = (file.dropTimes ?? 1) - 1;
    response.write(body.subarray(0, file.dropAfter), () => {
      setTimeout(() => response.socket?.destroy(), 20);
    });
    return;
  }
  response.end(body);
}

/** Starts a server on 127.0.0.1 (an ephemeral port); only loopback traffic. */
export async function startServer(): Promise<TestServer> {
  const files = new Map<string, ServedFile>();
  const requests: RequestLog[] = [];
  const server: Server = createServer((request, response) => {
    respond(files.get(new URL(request.url ?? "/", "http://x").pathname), request, response, requests);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    files,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The real fetch, as the CLI passes it. */
export const realFetch = (url: string, init?: { headers?: Record<string, string>; signal?: AbortSignal }) =>
  fetch(url, init);
