import { doctorReportData, formatDoctorReport } from "../../../doctor/index.js";
import { loadEnvironment } from "../../../environment/index.js";
import { planLoadedEnvironment } from "../../../plan/index.js";
import type { CommandModule } from "../../command.js";
import { warnIfNameMismatch } from "../../lifecycle/environment-name.js";
import { environmentArgument } from "../../lifecycle/options.js";
import { colorWanted, runHostChecks } from "./host-check.js";

/**
 * `homelab doctor [ENV] [--all-distros]`: one line per host check (✔ ok, ⚠ warning, ✖ failure),
 * the fix under each problem with install commands for the detected distribution. Exits 1
 * when anything would stop `homelab up`.
 */
const command: CommandModule = {
  configure(command) {
    environmentArgument(command)
      .option(
        "--all-distros",
        "show install commands for Arch, Debian/Ubuntu and Fedora, not only this host's",
      )
      .addHelpText(
        "after",
        "\nChecks: OpenTofu/Terraform, libvirt at the environment's URI, QEMU/KVM, the storage pool\n" +
          "(conflicts, QEMU user can traverse it), AppArmor/SELinux, dnsmasq, the network range, the SSH\n" +
          "client, disk space, and whether `tofu init` can install the libvirt provider without a registry.\n" +
          "Exit status 1 when a check fails (`homelab up` would stop).\n\n" +
          "Examples:\n  homelab doctor\n  homelab doctor production --all-distros",
      );
  },
  async run(args, options, context) {
    const [name] = args as [string];
    const loaded = await loadEnvironment(name, { cwd: context.cwd, home: context.paths.home });
    await warnIfNameMismatch(context, loaded);
    const plan = await planLoadedEnvironment(loaded);
    const report = await runHostChecks(plan, context);
    context.reporter.result(
      doctorReportData(report),
      formatDoctorReport(report, {
        allDistros: options.allDistros === true,
        color: colorWanted(context, options),
      }),
    );
    return report.blocking ? 1 : 0;
  },
};

export default command;
