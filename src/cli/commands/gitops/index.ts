import { Argument } from "commander";
import { HomelabError } from "../../../errors/index.js";
import type { CommandModule } from "../../command.js";

const ACTIONS = ["key", "status"] as const;
type Action = (typeof ACTIONS)[number];

/**
 * `homelab gitops key [ENV]` prints the environment's Flux deploy key (generating it once) to
 * add at the Git host; `homelab gitops status [ENV]` shows Flux's objects and their readiness.
 */
const command: CommandModule = {
  configure(command) {
    command
      .addArgument(
        new Argument("<action>", "key: print the deploy key; status: show Flux readiness").choices(ACTIONS),
      )
      .argument("[env]", "environment name or file", "development")
      .option("--timeout <seconds>", "status: how long to wait for the Kubernetes API", "5")
      .addHelpText(
        "after",
        "\nExamples:\n  homelab gitops key staging | gh repo deploy-key add - --title homelab-staging\n  homelab gitops status production",
      );
  },
  async run(args, options, context) {
    const [action, environment] = args as [Action, string];
    switch (action) {
      case "key":
        // Each action loads only what it needs: status brings in the Kubernetes client.
        return (await import("./key.js")).runGitopsKey(environment, context);
      case "status": {
        const seconds = Number(options.timeout);
        if (!Number.isFinite(seconds) || seconds <= 0) {
          throw new HomelabError(
            "usage",
            `--timeout must be a number of seconds, not "${String(options.timeout)}"`,
            {
              fix: "Pass e.g. --timeout 10.",
            },
          );
        }
        return (await import("./status.js")).runGitopsStatus(
          environment,
          { timeoutMs: seconds * 1000 },
          context,
        );
      }
    }
  },
};

export default command;
