/**
 * A stand-in for a `homelab apply` process, for tests that kill it: runs TofuRunner (as the CLI
 * does, with the process's own SIGINT/SIGTERM/SIGHUP as interrupts) on a prepared fixture
 * workspace, printing every line tofu prints. Run with jiti:
 *   node node_modules/jiti/lib/jiti-cli.mjs apply-driver.ts <workspace.json>
 * where workspace.json is `{ binary, workingDir, stateDir, nodeNames, terraformEnv, report? }`;
 * every line is also appended to `report` when given (a terminal that was closed shows nothing).
 * `terraformEnv` is the test's offline CLI configuration (support/offline-terraform.ts).
 */
import { appendFileSync, readFileSync } from "node:fs";
import { flavorOf, processInterrupts, TofuRunner, tofuStatePaths } from "../../../src/runner/index.js";
import { stateLayout } from "../../../src/state/layout.js";

interface DriverWorkspace {
  readonly binary: string;
  readonly workingDir: string;
  readonly stateDir: string;
  readonly nodeNames: readonly string[];
  /** TF_CLI_CONFIG_FILE and CHECKPOINT_DISABLE from offlineTerraformEnv(): no registry, ever. */
  readonly terraformEnv: Readonly<Record<string, string>>;
  readonly report?: string;
}

const workspace = JSON.parse(readFileSync(process.argv[2] ?? "", "utf8")) as DriverWorkspace;
// As bin/homelab.js does: a terminal that went away (EIO) or a reader that left (EPIPE) does
// not end the run.
for (const stream of [process.stdout, process.stderr]) stream.on("error", () => undefined);
const say = (line: string) => {
  process.stdout.write(`${line}\n`);
  if (workspace.report) appendFileSync(workspace.report, `${line}\n`);
};
const runner = new TofuRunner({
  binary: { path: workspace.binary, flavor: flavorOf(workspace.binary), source: "override" },
  workingDir: workspace.workingDir,
  paths: tofuStatePaths(stateLayout(workspace.stateDir)),
  env: {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    ...workspace.terraformEnv,
  },
  onOutput: (line) => say(`tofu: ${line}`),
  onNotice: (message) => say(`notice: ${message}`),
  interrupts: processInterrupts(),
  onRepeatedInterrupt: () => say("driver: repeated interrupt"),
});

try {
  const plan = await runner.plan({ nodeNames: workspace.nodeNames });
  say("driver: applying");
  await runner.apply(plan, new Date());
  say("driver: applied");
} catch (error) {
  say(`driver: failed ${(error as Error).message}`);
  process.exitCode = 1;
}
