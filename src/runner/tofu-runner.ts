import { createHash } from "node:crypto";
import { chmod, copyFile, mkdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { hostname as osHostname } from "node:os";
import { basename, dirname, join } from "node:path";
import { HomelabError, isHomelabError } from "../errors/index.js";
import { hasAppliedState } from "../state/applied.js";
import type { StateLayout } from "../state/layout.js";
import { readIfPresent } from "../state/read-if-present.js";
import type { TofuBinary } from "./binary.js";
import { type ChildOptions, type OutputStream, runCaptured, runLogged } from "./child-process.js";
import type { InterruptSource } from "./interrupt.js";
import { awaitOrphanedTofu, clearRunningTofu, writeRunningTofu } from "./orphan.js";
import { type PlanSummary, summarizePlan } from "./plan-summary.js";
import { identifyProcess } from "./process-identity.js";
import { backupState } from "./state-backup.js";
import { stateLockError } from "./state-lock.js";
import { assertStateInStateDir, readWorkingConfig, type WorkingConfig } from "./working-config.js";

/** Where the runner keeps what must outlive a render (all inside the state directory). */
export interface TofuStatePaths {
  /** The local backend's state file; the rendered configuration must point here. */
  readonly stateFile: string;
  readonly backupsDir: string;
  /** TF_DATA_DIR: providers and the backend record survive render's directory swap. */
  readonly dataDir: string;
  /** The saved plan between confirmation and apply (0600: it holds the Ignition secrets). */
  readonly planFile: string;
  /** A copy of `.terraform.lock.hcl`, restored into each fresh render. */
  readonly dependencyLockCopy: string;
  /** What the last successful `init` was run for. */
  readonly initMarker: string;
  /**
   * tofu's output of each streamed command (`<subcommand>.log`, the one before as
   * `<subcommand>.previous.log`): tofu writes there, not into a pipe, so it outlives homelab.
   */
  readonly logsDir: string;
  /** The tofu process running right now, if any (see orphan.ts). */
  readonly runningRecord: string;
  /** The local backend's lock information, written by tofu while it holds the state lock. */
  readonly stateLockInfo: string;
}

export function tofuStatePaths(layout: StateLayout): TofuStatePaths {
  const tofuDir = dirname(layout.tofuState);
  return {
    stateFile: layout.tofuState,
    backupsDir: layout.tofuBackups,
    dataDir: layout.tofuDataDir,
    planFile: join(tofuDir, "homelab.tfplan"),
    dependencyLockCopy: join(tofuDir, ".terraform.lock.hcl"),
    initMarker: join(layout.tofuDataDir, "homelab-init.json"),
    logsDir: join(tofuDir, "logs"),
    runningRecord: join(tofuDir, "running.json"),
    // The local backend names it after the state file: `.<name>.lock.info` beside it.
    stateLockInfo: join(tofuDir, `.${basename(layout.tofuState)}.lock.info`),
  };
}

export interface TofuRunnerOptions {
  readonly binary: TofuBinary;
  /** The rendered directory (`.homelab/<env>`). */
  readonly workingDir: string;
  readonly paths: TofuStatePaths;
  /** The child's environment (the CLI passes the user's); TF_DATA_DIR and friends are added. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Every line tofu prints, as it prints it. */
  readonly onOutput: (line: string, stream: OutputStream) => void;
  /** Pass `-json` to plan and apply (for `homelab --json`). */
  readonly machineReadable?: boolean;
  readonly color?: boolean;
  readonly interrupts?: InterruptSource;
  /** Called on a second Ctrl-C: tofu is already stopping and is not signalled again. */
  readonly onRepeatedInterrupt?: () => void;
  /** What the user should know that is not tofu's output (an orphaned run found and awaited). */
  readonly onNotice?: (message: string) => void;
  /** This host's name, for the record of a running tofu (default: the system's). */
  readonly hostname?: string;
  /**
   * Called just before `init` runs (not when it is skipped), with the providers the
   * configuration requires: the CLI says there whether init will reach a registry.
   */
  readonly beforeInit?: (requiredProviders: readonly string[]) => Promise<void>;
}

/** A saved plan: exactly what will be applied if the user confirms. */
export interface SavedPlan {
  readonly file: string;
  readonly summary: PlanSummary;
  readonly destroy: boolean;
}

export interface PlanRequest {
  /** Node names, so that the summary can name nodes (for_each keys) rather than addresses. */
  readonly nodeNames: readonly string[];
  readonly destroy?: boolean;
  /** Addresses to replace (`-replace=ADDR`). */
  readonly replace?: readonly string[];
}

/** tofu exited non-zero: the command ends with tofu's own exit status. */
export class TofuFailedError extends HomelabError {
  readonly exitCode: number;
  constructor(message: string, exitCode: number, fix: string) {
    super("tofu-failed", message, { fix });
    this.exitCode = exitCode;
  }
}

interface InitMarker {
  readonly fingerprint: string;
  readonly dependencyLock: string;
}

const LOCK_FILE = ".terraform.lock.hcl";

const sha256 = (text: string): string => createHash("sha256").update(text).digest("hex");

/**
 * Runs OpenTofu (or Terraform) on a rendered configuration: `init` when needed, `plan` into a
 * saved plan file summarised from `show -json`, `apply` of exactly that file after a state
 * backup. Output is streamed line by line; a failure keeps tofu's exit status. Locking
 * against concurrent runs is the caller's (see run-lock.ts): it spans render and apply.
 */
export class TofuRunner {
  readonly #options: TofuRunnerOptions;
  #config: WorkingConfig | undefined;

  constructor(options: TofuRunnerOptions) {
    this.#options = options;
  }

  get binary(): TofuBinary {
    return this.#options.binary;
  }

  #childOptions(args: readonly string[]): ChildOptions {
    const options = this.#options;
    return {
      command: options.binary.path,
      args,
      cwd: options.workingDir,
      env: {
        ...options.env,
        TF_DATA_DIR: options.paths.dataDir,
        TF_IN_AUTOMATION: "1",
        TF_INPUT: "0",
      },
      interrupts: options.interrupts,
      onRepeatedInterrupt: options.onRepeatedInterrupt,
    };
  }

  #uiFlags(machineReadableAllowed: boolean): string[] {
    const flags: string[] = [];
    if (machineReadableAllowed && this.#options.machineReadable) flags.push("-json");
    if (!this.#options.color) flags.push("-no-color");
    return flags;
  }

  /** A fresh log for a subcommand; the previous one is kept beside it. */
  async #logFile(subcommand: string): Promise<string> {
    const { logsDir } = this.#options.paths;
    await mkdir(logsDir, { recursive: true, mode: 0o700 });
    const file = join(logsDir, `${subcommand}.log`);
    await rename(file, join(logsDir, `${subcommand}.previous.log`)).catch(() => undefined);
    return file;
  }

  async #stream(subcommand: string, args: readonly string[]): Promise<void> {
    const options = this.#options;
    const logFile = await this.#logFile(subcommand);
    const recent: string[] = [];
    let result: Awaited<ReturnType<typeof runLogged>>;
    try {
      result = await runLogged({
        ...this.#childOptions([subcommand, ...args]),
        logFile,
        onLine: (line) => {
          recent.push(line);
          if (recent.length > 40) recent.shift();
          options.onOutput(line, "stdout");
        },
        onSpawn: async (pid) => {
          const identity = await identifyProcess(pid, options.hostname ?? osHostname());
          await writeRunningTofu(options.paths.runningRecord, {
            ...identity,
            program: options.binary.flavor,
            subcommand,
            logFile,
            homelabPid: process.pid,
          });
        },
      });
    } catch (error) {
      await clearRunningTofu(options.paths.runningRecord);
      throw this.#spawnFailure(error);
    }
    await clearRunningTofu(options.paths.runningRecord);
    if (result.exitCode !== 0) {
      const locked = await stateLockError(recent, {
        program: options.binary.flavor,
        lockInfo: options.paths.stateLockInfo,
        workingDir: options.workingDir,
        dataDir: options.paths.dataDir,
        exitCode: result.exitCode,
      });
      if (locked) throw new TofuFailedError(locked.message, result.exitCode, locked.fix);
      throw this.#failure(subcommand, result.exitCode, result.interrupted, logFile);
    }
  }

  /** Waits for a tofu run that a homelab which died left behind (see orphan.ts). */
  async #awaitOrphan(): Promise<void> {
    const options = this.#options;
    await awaitOrphanedTofu({
      recordPath: options.paths.runningRecord,
      onOutput: (line) => options.onOutput(line, "stdout"),
      onNotice: (message) => options.onNotice?.(message),
      ...(options.interrupts ? { interrupts: options.interrupts } : {}),
      ...(options.hostname ? { hostname: options.hostname } : {}),
    });
  }

  async #capture(subcommand: string, args: readonly string[]): Promise<string> {
    let result: Awaited<ReturnType<typeof runCaptured>>;
    try {
      result = await runCaptured(this.#childOptions([subcommand, ...args]));
    } catch (error) {
      throw this.#spawnFailure(error);
    }
    if (result.exitCode !== 0) {
      for (const line of result.stderr.split("\n")) if (line !== "") this.#options.onOutput(line, "stderr");
      throw this.#failure(subcommand, result.exitCode, result.interrupted);
    }
    return result.stdout;
  }

  #spawnFailure(error: unknown): HomelabError {
    return new HomelabError(
      "tofu-not-found",
      `cannot run ${this.#options.binary.path}: ${(error as Error).message}`,
      {
        cause: error,
        fix: "Install OpenTofu (or Terraform), or point homelab at it with --tofu PATH. `homelab doctor` checks this.",
      },
    );
  }

  #failure(subcommand: string, exitCode: number, interrupted: boolean, logFile?: string): TofuFailedError {
    const program = this.#options.binary.flavor;
    const log = logFile ? ` Its whole output is in ${logFile}.` : "";
    if (interrupted) {
      return new TofuFailedError(
        `${program} ${subcommand} was interrupted and stopped cleanly (exit status ${exitCode})`,
        exitCode,
        `${program} stopped its operations and wrote its state before exiting. Run the same command again to continue.${log}`,
      );
    }
    const fix =
      subcommand === "init"
        ? `\`${program} init\` installs the providers the configuration needs (dmacvicar/libvirt) from the registry: ` +
          "read its messages above; most often the registry cannot be reached (network, proxy, DNS). Run the command again once it can."
        : `Read ${program}'s messages above: they name the resource and the reason. ` +
          "Fix the cause (often: libvirtd not running, a name already taken in libvirt, a full disk) and run the command again.";
    return new TofuFailedError(
      `${program} ${subcommand} failed (exit status ${exitCode})`,
      exitCode,
      `${fix}${log}`,
    );
  }

  async #workingConfig(): Promise<WorkingConfig> {
    if (!this.#config) {
      const config = await readWorkingConfig(this.#options.workingDir);
      assertStateInStateDir(config, this.#options.workingDir, this.#options.paths.stateFile);
      this.#config = config;
    }
    return this.#config;
  }

  /** Whether `init` must run: first use, a changed backend/provider requirement, lost providers. */
  async needsInit(): Promise<boolean> {
    const config = await this.#workingConfig();
    await this.#restoreDependencyLock();
    const markerText = await readIfPresent(this.#options.paths.initMarker);
    if (markerText === undefined) return true;
    let marker: InitMarker;
    try {
      marker = JSON.parse(markerText) as InitMarker;
    } catch {
      return true;
    }
    const lock = (await readIfPresent(join(this.#options.workingDir, LOCK_FILE))) ?? "";
    if (marker.fingerprint !== config.initFingerprint || marker.dependencyLock !== sha256(lock)) return true;
    if (config.requiredProviders.length > 0) {
      const providers = join(this.#options.paths.dataDir, "providers");
      const installed = await stat(providers).then(
        (info) => info.isDirectory(),
        () => false,
      );
      if (!installed) return true;
    }
    return false;
  }

  /** A fresh render has no `.terraform.lock.hcl`; put back the one the last init selected. */
  async #restoreDependencyLock(): Promise<void> {
    const target = join(this.#options.workingDir, LOCK_FILE);
    if ((await readIfPresent(target)) !== undefined) return;
    if ((await readIfPresent(this.#options.paths.dependencyLockCopy)) === undefined) return;
    await copyFile(this.#options.paths.dependencyLockCopy, target);
  }

  /** Runs `init` if needed; returns whether it ran. */
  async prepare(): Promise<boolean> {
    await mkdir(this.#options.paths.dataDir, { recursive: true, mode: 0o700 });
    await mkdir(dirname(this.#options.paths.stateFile), { recursive: true, mode: 0o700 });
    await this.#awaitOrphan();
    if (!(await this.needsInit())) return false;
    await this.#options.beforeInit?.((await this.#workingConfig()).requiredProviders);
    await this.#stream("init", ["-input=false", ...this.#uiFlags(false)]);
    const lock = await readIfPresent(join(this.#options.workingDir, LOCK_FILE));
    if (lock !== undefined) await writeFile(this.#options.paths.dependencyLockCopy, lock, { mode: 0o600 });
    const config = await this.#workingConfig();
    const marker: InitMarker = { fingerprint: config.initFingerprint, dependencyLock: sha256(lock ?? "") };
    await writeFile(this.#options.paths.initMarker, `${JSON.stringify(marker)}\n`, { mode: 0o600 });
    return true;
  }

  /** `plan -out`, then `show -json` of that file, summarised. */
  async plan(request: PlanRequest): Promise<SavedPlan> {
    await this.prepare();
    const file = this.#options.paths.planFile;
    await rm(file, { force: true });
    const args = ["-input=false", `-out=${file}`, ...this.#uiFlags(true)];
    if (request.destroy) args.push("-destroy");
    for (const address of request.replace ?? []) args.push(`-replace=${address}`);
    try {
      await this.#stream("plan", args);
      await chmod(file, 0o600).catch(() => {
        throw new TofuFailedError(
          `${this.#options.binary.flavor} plan exited successfully but wrote no plan file (${file})`,
          1,
          `Check that ${this.#options.binary.path} is OpenTofu or Terraform, and read its output above.`,
        );
      });
      const document = await this.#capture("show", ["-json", "-no-color", file]);
      return { file, summary: summarizePlan(document, request.nodeNames), destroy: request.destroy === true };
    } catch (error) {
      // A plan that will never be shown or confirmed must not be applied later by accident.
      await rm(file, { force: true });
      throw error;
    }
  }

  /**
   * Applies a saved plan (so what was confirmed is what is applied), after copying the state to
   * the backups directory. Returns the backup's path (undefined on the very first apply).
   */
  async apply(plan: SavedPlan, backupAt: Date): Promise<string | undefined> {
    try {
      await this.#awaitOrphan();
      const backup = await backupState(
        this.#options.paths.stateFile,
        this.#options.paths.backupsDir,
        backupAt,
      ).catch((error: unknown) => {
        throw isHomelabError(error) ? error : backupFailure(this.#options.paths.backupsDir, error);
      });
      await this.#stream("apply", ["-input=false", ...this.#uiFlags(true), plan.file]);
      return backup;
    } finally {
      await this.discard(plan);
    }
  }

  /** Deletes a saved plan that will not be applied. */
  async discard(plan: SavedPlan): Promise<void> {
    await rm(plan.file, { force: true });
  }

  /** Managed resource addresses in the state (`state list`); empty before the first apply. */
  async stateAddresses(): Promise<string[]> {
    await this.#awaitOrphan();
    if (!(await hasAppliedState(this.#options.paths.stateFile))) return [];
    await this.prepare();
    const output = await this.#capture("state", ["list"]);
    return output
      .split("\n")
      .map((line) => line.trim())
      .filter((line) => line !== "" && !line.startsWith("data.") && !line.includes(".data."));
  }
}

function backupFailure(backupsDir: string, error: unknown): HomelabError {
  const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
  return new HomelabError(
    "state-backup-failed",
    `the OpenTofu state could not be backed up into ${backupsDir} (${reason}); nothing was applied`,
    {
      cause: error,
      where: { file: backupsDir },
      fix: `Make ${backupsDir} a directory you own and can write (and check the disk is not full), then run the command again. The saved plan was discarded.`,
    },
  );
}

export { hasAppliedState } from "../state/applied.js";
