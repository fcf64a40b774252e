// Signal names as written ("SIGTERM", "TERM", "term") normalized to Node's spelling, checked
// against the signals this platform knows, so a typo is a config error and not a kill() error.
import { constants } from "node:os";

export const SIGNAL_NAMES = Object.keys(constants.signals) as NodeJS.Signals[];

/** "SIGTERM" for "SIGTERM", "TERM", "term", "sigterm"; undefined for anything unknown. */
export function normalizeSignal(written: string): NodeJS.Signals | undefined {
  const upper = written.trim().toUpperCase();
  const name = upper.startsWith("SIG") ? upper : `SIG${upper}`;
  return (SIGNAL_NAMES as string[]).includes(name) ? (name as NodeJS.Signals) : undefined;
}
