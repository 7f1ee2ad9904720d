export { hostKeyMismatchError, isHostKeyMismatch } from "./host-key-errors.js";
export {
  ensureKnownHostsFile,
  forgetHostKeys,
  type KnownHostsOptions,
  recordedHostKeys,
} from "./known-hosts.js";
export { remoteCommandLine, shellQuote } from "./remote-command.js";
export {
  type InteractiveSshIo,
  runSshCommand,
  runSshInteractive,
  type SshCommandResult,
  type SshRunOptions,
} from "./run-ssh.js";
export {
  knownHostsName,
  type SshOptionSettings,
  type SshTarget,
  sshArguments,
  sshOptions,
} from "./ssh-options.js";
export { runSshStream, type SshStreamOptions, type SshStreamResult } from "./stream-ssh.js";
