/**
 * Where "the user wants to stop" comes from. The CLI passes `processInterrupts()` (Ctrl-C and
 * SIGTERM); tests pass a source they trigger themselves.
 */
export interface InterruptSource {
  /** Calls `listener` on every interrupt until the returned function is called. */
  subscribe(listener: () => void): () => void;
}

/** SIGINT and SIGTERM of this process. While subscribed, they no longer end the process. */
export function processInterrupts(): InterruptSource {
  return {
    subscribe(listener) {
      process.on("SIGINT", listener);
      process.on("SIGTERM", listener);
      return () => {
        process.off("SIGINT", listener);
        process.off("SIGTERM", listener);
      };
    },
  };
}

/** A source that is triggered by calling `interrupt()`. */
export function manualInterrupts(): InterruptSource & { interrupt(): void } {
  const listeners = new Set<() => void>();
  return {
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    interrupt() {
      for (const listener of [...listeners]) listener();
    },
  };
}
