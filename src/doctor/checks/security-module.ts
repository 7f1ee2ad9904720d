import type { DoctorContext } from "../context.js";
import { parseQemuConfSecurityDriver, QEMU_CONF } from "../qemu-user.js";
import type { CheckResult } from "../types.js";

const DEFAULT_IMAGES = "/var/lib/libvirt/images";

/**
 * AppArmor and SELinux confine QEMU to the files libvirt labels for it. Disks are labelled
 * automatically; the Ignition file QEMU reads through fw_cfg is not always, so a pool outside
 * libvirt's default directory may need a rule. A hint, never a blocker: doctor cannot know
 * the policy without running a VM.
 */
export async function checkSecurityModule(context: DoctorContext): Promise<CheckResult> {
  if (!context.libvirt.local) {
    return {
      id: "security-module",
      status: "ok",
      summary: "AppArmor/SELinux not checked: libvirt runs on another host",
    };
  }
  const driver = parseQemuConfSecurityDriver((await context.probes.readText(QEMU_CONF)) ?? "");
  const apparmor = (await context.probes.readText("/sys/module/apparmor/parameters/enabled"))?.trim() === "Y";
  const selinux = (await context.probes.readText("/sys/fs/selinux/enforce"))?.trim() === "1";
  if (!apparmor && !selinux) {
    return { id: "security-module", status: "ok", summary: "no AppArmor or SELinux enforcement" };
  }
  const module = apparmor ? "AppArmor" : "SELinux";
  if (driver === "none") {
    return {
      id: "security-module",
      status: "ok",
      summary: `${module} is on, but ${QEMU_CONF} sets security_driver = "none"`,
    };
  }
  const path = context.plan.pool.path ?? DEFAULT_IMAGES;
  const underDefault = path === DEFAULT_IMAGES || path.startsWith(`${DEFAULT_IMAGES}/`);
  if (apparmor) {
    return {
      id: "security-module",
      status: "warning",
      summary: `AppArmor confines QEMU: it may refuse the Ignition file in ${path} (a node then never boots past Ignition)`,
      code: "security-module-denied",
      fix: {
        text: 'If a VM fails to start with "Permission denied" on a .ign file, allow QEMU to read the pool directory:',
        commands: {
          arch: [
            `echo '${path}/** rk,' | sudo tee -a /etc/apparmor.d/local/abstractions/libvirt-qemu`,
            "sudo systemctl reload apparmor",
          ],
          debian: [
            `echo '${path}/** rk,' | sudo tee -a /etc/apparmor.d/local/abstractions/libvirt-qemu`,
            "sudo systemctl reload apparmor",
          ],
        },
      },
    };
  }
  if (underDefault) {
    return {
      id: "security-module",
      status: "ok",
      summary: `SELinux enforcing; ${path} carries libvirt's image label`,
    };
  }
  return {
    id: "security-module",
    status: "warning",
    summary: `SELinux enforcing: ${path} is outside ${DEFAULT_IMAGES}, so QEMU may be denied its files`,
    code: "security-module-denied",
    fix: {
      text: "Give the pool directory libvirt's image label (persistently):",
      commands: {
        fedora: [`sudo semanage fcontext -a -t virt_image_t '${path}(/.*)?'`, `sudo restorecon -Rv ${path}`],
      },
    },
  };
}
