/**
 * Confirmation and apply as the CLI does them (src/cli/lifecycle/plan-flow.ts), on the
 * terraform_data fixture with the real terraform, and known_hosts with the real ssh-keygen.
 */
import { stat, writeFile } from "node:fs/promises";
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { createContext } from "../../src/cli/context.js";
import { applyPlan, confirmAndApply, confirmPlan } from "../../src/cli/lifecycle/plan-flow.js";
import type { HomelabError } from "../../src/errors/index.js";
import { generateSshKeyPair } from "../../src/secrets/index.js";
import { ensureKnownHostsFile, recordedHostKeys } from "../../src/ssh/index.js";
import { describeWithTools } from "../support/real-tools.js";
import { createTestContext } from "./cli-harness.js";
import { FIXTURE_NODES, fixtureWorkspace } from "./fixture.js";

const nodeNames = [...FIXTURE_NODES];
const nodes = nodeNames.map((name, index) => ({ name, address: `192.168.140.${10 + index}` }));

async function appliedWorkspace() {
  const workspace = await fixtureWorkspace();
  const runner = workspace.runner();
  await runner.apply(await runner.plan({ nodeNames }), new Date());
  return { workspace, runner };
}

const planQuestion = {
  what: "Applying changes to development",
  question: "Apply these changes to development?",
};

describeWithTools(["terraform"], "confirmation before apply", () => {
  it("refuses without a terminal and without --yes, and deletes the saved plan", async () => {
    const workspace = await fixtureWorkspace();
    const runner = workspace.runner();
    const plan = await runner.plan({ nodeNames });
    const { context } = createTestContext({ cwd: workspace.root, env: {} });
    const failure = (await confirmPlan(context, runner, plan, { yes: false, ...planQuestion }).catch(
      (e: unknown) => e,
    )) as HomelabError;
    expect(failure.code).toBe("confirmation-declined");
    expect(failure.fix).toContain("--yes");
    await expect(stat(plan.file)).rejects.toThrow(/ENOENT/);
  });

  const answers: readonly (readonly [string, boolean])[] = [
    ["y", true],
    ["yes", true],
    ["", false],
    ["n", false],
    ["YES please", false],
  ];
  for (const [answer, applies] of answers) {
    it(`answer ${JSON.stringify(answer)} → ${applies ? "confirmed" : "declined"}`, async () => {
      const workspace = await fixtureWorkspace();
      const runner = workspace.runner();
      const plan = await runner.plan({ nodeNames });
      const { context, questions } = createTestContext({ cwd: workspace.root, env: {}, answers: [answer] });
      const outcome = await confirmPlan(context, runner, plan, { yes: false, ...planQuestion }).catch(
        (e: unknown) => e,
      );
      expect(questions).toEqual(["Apply these changes to development? [y/N] "]);
      if (applies) expect(outcome).toBe(true);
      else expect((outcome as HomelabError).code).toBe("confirmation-declined");
    });
  }

  it("Ctrl-C at the question (the real readline of the CLI's context) declines and deletes the saved plan", async () => {
    const workspace = await fixtureWorkspace();
    const runner = workspace.runner();
    const plan = await runner.plan({ nodeNames });
    // A terminal as readline sees one: a TTY input in raw mode, where Ctrl-C arrives as \x03.
    const stdin = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => undefined });
    const stderr = Object.assign(new PassThrough(), { isTTY: true, columns: 80 });
    stderr.resume();
    const io = { env: {}, cwd: () => workspace.root, stdin, stdout: new PassThrough(), stderr };
    const context = createContext({}, io as unknown as NodeJS.Process);
    expect(context.interactive).toBe(true);
    setTimeout(() => stdin.write("\x03"), 100);
    const failure = (await confirmPlan(context, runner, plan, { yes: false, ...planQuestion }).catch(
      (e: unknown) => e,
    )) as HomelabError;
    expect(failure.code).toBe("confirmation-declined");
    expect(failure.message).toContain("the question was interrupted");
    await expect(stat(plan.file)).rejects.toThrow(/ENOENT/);
  });

  it("asks destroy to be confirmed by typing the environment name", async () => {
    const { workspace, runner } = await appliedWorkspace();
    const plan = await runner.plan({ nodeNames, destroy: true });
    const { context, questions } = createTestContext({ cwd: workspace.root, env: {}, answers: ["yes"] });
    const refused = (await confirmPlan(context, runner, plan, {
      yes: false,
      what: "Destroying development",
      question: "This deletes every VM and disk of development.",
      typed: "development",
    }).catch((e: unknown) => e)) as HomelabError;
    expect(questions).toEqual([
      "This deletes every VM and disk of development. Type development to confirm: ",
    ]);
    expect(refused.code).toBe("confirmation-declined");
  });

  it("neither asks nor applies when the plan has no changes", async () => {
    const { workspace, runner } = await appliedWorkspace();
    const plan = await runner.plan({ nodeNames });
    const { context, questions } = createTestContext({ cwd: workspace.root, env: {}, answers: [] });
    expect(
      await confirmAndApply(context, runner, plan, {
        yes: false,
        ...planQuestion,
        nodes,
        knownHosts: "/nonexistent",
      }),
    ).toBe(false);
    expect(questions).toEqual([]);
  });
});

describeWithTools(["terraform", "ssh-keygen"], "host keys of rebuilt nodes (real ssh-keygen)", () => {
  it("forgets the replaced node's address after apply, keeps the others", async () => {
    const { workspace, runner } = await appliedWorkspace();
    const knownHosts = `${workspace.layout.dir}/ssh/known_hosts`;
    await ensureKnownHostsFile(knownHosts);
    const key = () => generateSshKeyPair("host").publicKey.split(" ").slice(0, 2).join(" ");
    await writeFile(knownHosts, nodes.map((node) => `${node.address} ${key()}\n`).join(""));
    await workspace.change((document) => {
      document.locals.nodes["k3s-dev-agent-1"] = { ignition: "agent-1 config v2" };
    });
    const plan = await workspace.runner().plan({ nodeNames });
    const { context, events } = createTestContext({ cwd: workspace.root, env: {} });
    await applyPlan(context, runner, plan, { nodes, knownHosts });
    expect(await recordedHostKeys(knownHosts, "192.168.140.11")).toEqual([]);
    expect(await recordedHostKeys(knownHosts, "192.168.140.10")).toHaveLength(1);
    expect(await recordedHostKeys(knownHosts, "192.168.140.12")).toHaveLength(1);
    expect(
      events.some(
        (event) => event.type === "info" && String(event.message).startsWith("State backed up to "),
      ),
    ).toBe(true);
  });
});
