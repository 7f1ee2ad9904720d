import type { Command } from "commander";
import { SYSTEM_DIRECTORIES } from "../../doctor/host-probes.js";
import { HomelabError } from "../../errors/index.js";

/**
 * Options shared by the lifecycle commands (plan, apply, destroy, up, replace, status, ssh,
 * kubeconfig), declared once so that they read the same everywhere.
 */

export const DEFAULT_ENVIRONMENT = "development";
/** Each wait of `up` and `replace` (first server, kubeconfig, nodes Ready, drain). */
export const DEFAULT_TIMEOUT = "10m";

export function environmentArgument(command: Command): Command {
  return command.argument(
    "[env]",
    "environment name (environments/<env>.ts) or path to an environment file",
    DEFAULT_ENVIRONMENT,
  );
}

export function tofuOption(command: Command): Command {
  return command.option(
    "--tofu <path>",
    `the tofu or terraform binary to run (default: $HOMELAB_TOFU, else tofu, else terraform, searched in PATH, then ${SYSTEM_DIRECTORIES.join(", ")})`,
  );
}

export function yesOption(command: Command, what: string): Command {
  return command.option("-y, --yes", `${what} without asking (needed with --json or without a terminal)`);
}

/**
 * `--new-secrets` of render, plan, apply and up: a secret of an environment that has been applied
 * (k3s token, SSH key, deploy key) that is missing is created anew instead of refused.
 */
export function newSecretsOption(command: Command): Command {
  return command.option(
    "--new-secrets",
    "create a missing k3s token or SSH key even though the environment has been applied (its nodes keep the old one until replaced)",
  );
}

/** The render options `--new-secrets` stands for. */
export function newSecretsRender(options: Record<string, unknown>): { allowNewSecrets?: boolean } {
  return options.newSecrets === true ? { allowNewSecrets: true } : {};
}

export function timeoutOption(command: Command): Command {
  return command.option("--timeout <duration>", "bound of each wait, e.g. 90s, 15m, 1h", DEFAULT_TIMEOUT);
}

/** `90s`, `15m`, `1h`, or plain seconds → milliseconds. */
export function parseDuration(text: string, option = "--timeout"): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  const unit = match?.[2] ?? "s";
  const factor = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[unit] ?? 1000;
  const value = match ? Number(match[1]) * factor : Number.NaN;
  if (!Number.isFinite(value) || value <= 0) {
    throw new HomelabError("usage", `${option} ${JSON.stringify(text)} is not a duration`, {
      fix: `Write a number with a unit: ${option} 90s, ${option} 15m or ${option} 1h.`,
    });
  }
  return value;
}

export function stringOption(options: Record<string, unknown>, name: string): string | undefined {
  const value = options[name];
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** What the rolling commands (apply, up, upgrade) take: how long each wait may last, how many agents at once. */
export interface RollFlags {
  readonly timeoutMs: number;
  readonly parallelAgents: number;
  readonly serversFirst: boolean;
  readonly force: boolean;
}

/** `--timeout`, `--parallel N` and `--force` for the commands that roll nodes. */
export function rollOptions(command: Command): Command {
  return timeoutOption(command)
    .option("--parallel <n>", "rebuild up to N agents at a time (servers always one at a time)", "1")
    .option(
      "--force",
      "continue when a node cannot be drained completely (its pods are stopped, not moved); never skips a quorum check",
    );
}

rollOptions.parse = (options: Record<string, unknown>): RollFlags => {
  const parallel = Number(options.parallel ?? "1");
  if (!Number.isInteger(parallel) || parallel < 1 || parallel > 64) {
    throw new HomelabError(
      "usage",
      `--parallel ${JSON.stringify(String(options.parallel))} is not a number of agents`,
      {
        fix: "Write a whole number from 1 to 64, e.g. --parallel 2. Servers always roll one at a time.",
      },
    );
  }
  return {
    timeoutMs: parseDuration(String(options.timeout ?? DEFAULT_TIMEOUT)),
    parallelAgents: parallel,
    serversFirst: false,
    force: options.force === true,
  };
};
