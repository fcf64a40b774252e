import { constants } from "node:os";

/** How one run ended. `error` is set when it never ran (spawn failed). */
export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
  error?: string;
  /** Clock time of the exit. */
  at: number;
  /** How long the run lasted, in ms (0 when it never started). */
  ranMs: number;
}

export function isCleanExit(status: ExitStatus): boolean {
  return status.code === 0 && !status.signal && !status.error;
}

export function describeExit(status: ExitStatus): string {
  if (status.error) return status.error;
  if (status.signal) {
    const number = constants.signals[status.signal];
    return `killed by ${status.signal}${number ? ` (${number})` : ""}`;
  }
  return `exited with code ${status.code}`;
}
