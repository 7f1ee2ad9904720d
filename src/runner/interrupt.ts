/**
 * Where "the user wants to stop" comes from. The CLI passes `processInterrupts()`; tests pass
 * a source they trigger themselves.
 */
export interface InterruptSource {
  /** Calls `listener` on every interrupt until the returned function is called. */
  subscribe(listener: () => void): () => void;
}

/**
 * Signals that mean "stop" for a homelab run: Ctrl-C (SIGINT), `kill` (SIGTERM) and the
 * hangup of a closed terminal (SIGHUP). While subscribed they no longer end the process: the
 * runner turns the first into one SIGINT for tofu (its graceful stop) and waits for it.
 */
export const STOP_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

/** The stop signals of this process. */
export function processInterrupts(): InterruptSource {
  return {
    subscribe(listener) {
      for (const signal of STOP_SIGNALS) process.on(signal, listener);
      return () => {
        for (const signal of STOP_SIGNALS) process.off(signal, listener);
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
