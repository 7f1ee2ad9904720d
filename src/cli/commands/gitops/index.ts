import { Argument } from "commander";
import type { CommandModule } from "../../command.js";
import { environmentArgument, parseDuration } from "../../lifecycle/options.js";

const ACTIONS = ["key", "status"] as const;
type Action = (typeof ACTIONS)[number];

/**
 * `homelab gitops key [ENV]` prints the environment's Flux deploy key (generating it once) to
 * add at the Git host; `homelab gitops status [ENV]` shows Flux's objects and their readiness.
 */
const command: CommandModule = {
  configure(command) {
    command.addArgument(
      new Argument("<action>", "key: print the deploy key; status: show Flux readiness").choices(ACTIONS),
    );
    environmentArgument(command)
      .option(
        "--timeout <duration>",
        "status: how long to wait for the Kubernetes API, e.g. 5s, 1m (a plain number is seconds)",
        "5s",
      )
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
      case "status":
        return (await import("./status.js")).runGitopsStatus(
          environment,
          { timeoutMs: parseDuration(String(options.timeout)) },
          context,
        );
    }
  },
};

export default command;
