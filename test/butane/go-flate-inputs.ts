/**
 * Deterministic test inputs for the Go-compatible DEFLATE encoder, named by kind, size and
 * seed, so that a vector file can list Go's output for each (its SHA-256) without shipping the
 * inputs. test/fixtures/go-flate-vectors.json was made from exactly these inputs.
 */

export type InputKind = "random" | "alphabet" | "words" | "periodic" | "mixture" | "sparse";

export interface InputSpec {
  readonly kind: InputKind;
  readonly size: number;
  readonly seed: number;
}

/** xorshift32: small, fast and the same everywhere. */
function generator(seed: number): () => number {
  let state = seed >>> 0 || 0x9e3779b9;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state;
  };
}

const WORDS = (
  "the of and to in is that for it as was with be by on not he this are or his from at which " +
  "but have an they you were her she there been one all we their has would when if so no will " +
  "systemd unit service k3s server agent flatcar ignition butane network storage files mode " +
  "ExecStart=/usr/bin/env WantedBy=multi-user.target [Unit] [Service] [Install] --cluster-init"
).split(" ");

export function makeInput({ kind, size, seed }: InputSpec): Uint8Array {
  const next = generator(seed);
  const bytes = new Uint8Array(size);
  switch (kind) {
    case "random":
      for (let i = 0; i < size; i++) bytes[i] = next() & 0xff;
      break;
    case "alphabet": {
      // A few letters at random: many short matches and long hash chains.
      const letters = 2 + (seed % 20);
      for (let i = 0; i < size; i++) bytes[i] = 97 + (next() % letters);
      break;
    }
    case "words": {
      let i = 0;
      while (i < size) {
        const word = WORDS[next() % WORDS.length]!;
        for (let j = 0; j < word.length && i < size; j++) bytes[i++] = word.charCodeAt(j);
        if (i < size) bytes[i++] = next() % 8 === 0 ? 10 : 32;
      }
      break;
    }
    case "periodic": {
      const period = 1 + (seed % 300);
      const pattern = Uint8Array.from({ length: period }, () => next() & 0xff);
      for (let i = 0; i < size; i++) bytes[i] = pattern[i % period]!;
      break;
    }
    case "mixture": {
      // Random runs, runs of one byte and copies from up to 40,000 bytes back.
      let i = 0;
      while (i < size) {
        const run = Math.min(size - i, 1 + (next() % 2000));
        const choice = next() % 10;
        if (choice < 3 || i < 100) {
          for (let j = 0; j < run; j++) bytes[i + j] = next() & 0xff;
        } else if (choice < 5) {
          bytes.fill(bytes[i - 1]!, i, i + run);
        } else {
          const back = 1 + (next() % Math.min(i, 40000));
          for (let j = 0; j < run; j++) bytes[i + j] = bytes[i + j - back]!;
        }
        i += run;
      }
      break;
    }
    case "sparse":
      for (let i = 0; i < size; i++) bytes[i] = next() % 10 === 0 ? next() & 0xff : 0;
      break;
  }
  return bytes;
}
