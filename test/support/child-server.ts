import { type ChildProcess, spawn } from "node:child_process";

/**
 * Starts a small Node HTTP server script in a child process (so that a synchronous tool run
 * from the test, such as the real Ignition, can download from it) and waits for the port it
 * prints. Never leaves the child behind: it is killed by `close()`, when the test process
 * exits, and when it fails to start (which rejects within `startTimeoutMs` instead of waiting
 * for the hook timeout).
 */
export interface ChildServer {
  readonly port: number;
  close(): void;
}

const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

export function startChildServer(
  script: string,
  args: readonly string[],
  startTimeoutMs = 15_000,
): Promise<ChildServer> {
  const child = spawn(process.execPath, ["-e", script, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  running.add(child);
  const close = () => {
    running.delete(child);
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  };
  child.once("exit", () => running.delete(child));
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise<ChildServer>((resolve, reject) => {
    const fail = (why: string) => {
      clearTimeout(timer);
      close();
      reject(new Error(`the stand-in server did not start: ${why}${stderr ? `\n${stderr}` : ""}`));
    };
    const timer = setTimeout(() => fail(`no port after ${startTimeoutMs} ms`), startTimeoutMs);
    child.once("error", (error) => fail(error.message));
    child.once("exit", (code, signal) => fail(`it exited (${signal ?? code})`));
    child.stdout?.once("data", (chunk: Buffer) => {
      clearTimeout(timer);
      child.removeAllListeners("exit");
      child.once("exit", () => running.delete(child));
      const port = Number(chunk.toString().trim());
      if (!Number.isInteger(port) || port <= 0) fail(`it printed ${JSON.stringify(chunk.toString())}`);
      else resolve({ port, close });
    });
  });
}
