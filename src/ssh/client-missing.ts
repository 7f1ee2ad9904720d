import { HomelabError } from "../errors/index.js";

/** The error when the `ssh` program itself cannot be started (not installed, not on PATH). */
export function sshClientMissing(error: Error): HomelabError {
  return new HomelabError("ssh-client-missing", `cannot run ssh: ${error.message}`, {
    cause: error,
    fix: "Install the OpenSSH client: Arch `sudo pacman -S openssh`, Debian/Ubuntu `sudo apt install openssh-client`, Fedora `sudo dnf install openssh-clients`.",
  });
}
