import { SSH_KEY_TYPES } from "../ssh/key-types.js";
import { type GitRepositoryUrl, knownHostsPattern } from "./repository-url.js";

/**
 * Flux's source-controller verifies the Git host's SSH key against the `known_hosts` entry of
 * the repository's Secret and refuses to connect without a match; homelab never turns that
 * off. The key therefore has to be known before the cluster exists: for the big public hosts
 * it is built in here (their published keys), for any other host the environment must give it
 * (`gitops.knownHosts`, known_hosts lines as `ssh-keyscan` prints them — check them against
 * the fingerprints your Git host publishes).
 */

export interface PublishedHostKey {
  readonly type: string;
  /** Base64 public key blob, as in a known_hosts line. */
  readonly key: string;
  /** `SHA256:…` fingerprint as the host's operator publishes it (what `ssh-keygen -lf` prints). */
  readonly fingerprint: string;
}

/**
 * Host keys of public Git hosts, for SSH on port 22.
 * - github.com: docs.github.com "GitHub's SSH key fingerprints" (keys and fingerprints).
 * - gitlab.com: docs.gitlab.com "SSH host keys fingerprints" (fingerprints); the keys are the
 *   ones gitlab.com serves, and a test recomputes every fingerprint with ssh-keygen.
 */
export const WELL_KNOWN_HOST_KEYS: Readonly<Record<string, readonly PublishedHostKey[]>> = {
  "github.com": [
    {
      type: "ssh-ed25519",
      key: "AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl",
      fingerprint: "SHA256:+DiY3wvvV6TuJJhbpZisF/zLDA0zPMSvHdkr4UvCOqU",
    },
    {
      type: "ecdsa-sha2-nistp256",
      key: "AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBEmKSENjQEezOmxkZMy7opKgwFB9nkt5YRrYMjNuG5N87uRgg6CLrbo5wAdT/y6v0mKV0U2w0WZ2YB/++Tpockg=",
      fingerprint: "SHA256:p2QAMXNIC1TJYWeIOttrVc98/R1BUFWu3/LiyKgUfQM",
    },
    {
      type: "ssh-rsa",
      key: "AAAAB3NzaC1yc2EAAAADAQABAAABgQCj7ndNxQowgcQnjshcLrqPEiiphnt+VTTvDP6mHBL9j1aNUkY4Ue1gvwnGLVlOhGeYrnZaMgRK6+PKCUXaDbC7qtbW8gIkhL7aGCsOr/C56SJMy/BCZfxd1nWzAOxSDPgVsmerOBYfNqltV9/hWCqBywINIR+5dIg6JTJ72pcEpEjcYgXkE2YEFXV1JHnsKgbLWNlhScqb2UmyRkQyytRLtL+38TGxkxCflmO+5Z8CSSNY7GidjMIZ7Q4zMjA2n1nGrlTDkzwDCsw+wqFPGQA179cnfGWOWRVruj16z6XyvxvjJwbz0wQZ75XK5tKSb7FNyeIEs4TT4jk+S4dhPeAUC5y+bDYirYgM4GC7uEnztnZyaVWQ7B381AK4Qdrwt51ZqExKbQpTUNn+EjqoTwvqNj4kqx5QUCI0ThS/YkOxJCXmPUWZbhjpCg56i+2aB6CmK2JGhn57K5mj0MNdBXA4/WnwH6XoPWJzK5Nyu2zB3nAZp+S5hpQs+p1vN1/wsjk=",
      fingerprint: "SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s",
    },
  ],
  "gitlab.com": [
    {
      type: "ssh-ed25519",
      key: "AAAAC3NzaC1lZDI1NTE5AAAAIAfuCHKVTjquxvt6CM6tdG4SLp1Btn/nOeHHE5UOzRdf",
      fingerprint: "SHA256:eUXGGm1YGsMAS7vkcx6JOJdOGHPem5gQp4taiCfCLB8",
    },
    {
      type: "ecdsa-sha2-nistp256",
      key: "AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBFSMqzJeV9rUzU4kWitGjeR4PWSa29SPqJ1fVkhtj3Hw9xjLVXVYrU9QlYWrOLXBpQ6KWjbjTDTdDkoohFzgbEY=",
      fingerprint: "SHA256:HbW3g8zUjNSksFbqTiUWPWg2Bq1x8xdGUrliXFzSnUw",
    },
    {
      type: "ssh-rsa",
      key: "AAAAB3NzaC1yc2EAAAADAQABAAABAQCsj2bNKTBSpIYDEGk9KxsGh3mySTRgMtXL583qmBpzeQ+jqCMRgBqB98u3z++J1sKlXHWfM9dyhSevkMwSbhoR8XIq/U0tCNyokEi/ueaBMCvbcTHhO7FcwzY92WK4Yt0aGROY5qX2UKSeOvuP4D6TPqKF1onrSzH9bx9XUf2lEdWT/ia1NEKjunUqu1xOB/StKDHMoX4/OKyIzuS0q/T1zOATthvasJFoPrAjkohTyaDUz2LN5JoH839hViyEG82yB+MjcFV5MU3N1l1QL3cVUCh93xSaua1N85qivl+siMkPGbO5xR/En4iEY6K2XPASUEMaieWVNTRCtJ4S8H+9",
      fingerprint: "SHA256:ROQFvPThGrW4RuWLoL9tq9I9zJ42fK4XywyRtbOz/EQ",
    },
  ],
};

const KEY_TYPES = new Set(SSH_KEY_TYPES);

export interface KnownHostsProblem {
  /** Index in `gitops.knownHosts`, when the problem is one line. */
  readonly index?: number;
  readonly message: string;
}

export type KnownHostsResult =
  | { readonly ok: true; readonly knownHosts: string }
  | { readonly ok: false; readonly problems: readonly KnownHostsProblem[]; readonly fix: string };

/**
 * The `known_hosts` text for the repository's Secret: the lines the environment gives (each
 * checked), or else the built-in keys of a well-known host on port 22. A host that is neither
 * is an error — guessing or scanning the key at first boot would trust whoever answers.
 */
export function knownHostsFor(
  repository: GitRepositoryUrl,
  configured: readonly string[] | undefined,
): KnownHostsResult {
  const pattern = knownHostsPattern(repository);
  if (configured !== undefined && configured.length > 0) {
    const problems: KnownHostsProblem[] = [];
    let matchesHost = false;
    configured.forEach((line, index) => {
      const parsed = parseKnownHostsLine(line);
      if (typeof parsed === "string") {
        problems.push({ index, message: parsed });
        return;
      }
      if (parsed.hashed || parsed.hosts.includes(pattern)) matchesHost = true;
    });
    if (problems.length === 0 && !matchesHost) {
      problems.push({ message: `no line is for ${pattern}, the host of gitops.url` });
    }
    if (problems.length > 0) {
      return {
        ok: false,
        problems,
        fix:
          `Give the host's keys as known_hosts lines, e.g. the output of \`ssh-keyscan${repository.port === 22 ? "" : ` -p ${repository.port}`} ${repository.host}\`, ` +
          "after checking their fingerprints (`ssh-keygen -lf <file>`) against the ones your Git host publishes.",
      };
    }
    return { ok: true, knownHosts: `${configured.map((line) => line.trim()).join("\n")}\n` };
  }
  const published = repository.port === 22 ? WELL_KNOWN_HOST_KEYS[repository.host] : undefined;
  if (published === undefined) {
    return {
      ok: false,
      problems: [
        { message: `homelab knows no SSH host key for ${pattern}, and gitops.knownHosts is not set` },
      ],
      fix:
        `Add gitops.knownHosts with the host's keys as known_hosts lines (\`ssh-keyscan${repository.port === 22 ? "" : ` -p ${repository.port}`} ${repository.host}\`), ` +
        "after checking their fingerprints against the ones your Git host publishes. " +
        `Built in: ${Object.keys(WELL_KNOWN_HOST_KEYS).join(", ")} (port 22).`,
    };
  }
  return { ok: true, knownHosts: published.map((key) => `${pattern} ${key.type} ${key.key}\n`).join("") };
}

interface KnownHostsLine {
  readonly hosts: readonly string[];
  readonly hashed: boolean;
}

/** Checks one known_hosts line; returns what is wrong, or its host patterns. */
export function parseKnownHostsLine(line: string): KnownHostsLine | string {
  const fields = line.trim().split(/\s+/);
  if (line.includes("\n")) return "one known_hosts line per entry, without line breaks";
  if (fields[0]?.startsWith("@"))
    return `markers such as ${fields[0]} are not supported; give the host's plain keys`;
  if (fields.length < 3)
    return `"${line.trim()}" is not a known_hosts line: expected "<host> <key type> <base64 key>"`;
  const [hostField = "", type = "", key = ""] = fields;
  if (!KEY_TYPES.has(type))
    return `unknown key type "${type}" (expected one of ${[...KEY_TYPES].join(", ")})`;
  const blob = decodeBase64(key);
  if (blob === undefined || blob.length < 4) return `the key of "${type}" is not valid base64`;
  const nameLength = blob.readUInt32BE(0);
  if (blob.subarray(4, 4 + nameLength).toString("latin1") !== type) {
    return `the key blob is not a "${type}" key (its embedded type differs): the line was damaged or mixed up`;
  }
  const hashed = hostField.startsWith("|1|");
  return { hosts: hashed ? [] : hostField.toLowerCase().split(","), hashed };
}

function decodeBase64(text: string): Buffer | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text) || text.length % 4 !== 0) return undefined;
  return Buffer.from(text, "base64");
}
