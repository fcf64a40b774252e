// `stop:` as written → the StopPolicy ladder: signals at times since the stop began, always
// ending with SIGKILL. The supervisor stops waiting as soon as the process exits, so a long
// ladder costs nothing for a program that stops promptly.
import { formatDuration, parseDuration } from "../lib/durations.js";
import type { StopPolicy, StopStep } from "./config.js";
import { error, type PathIssue, type PathSegment } from "./issue.js";
import type { WrittenService } from "./schema.js";
import { normalizeSignal } from "./signal-name.js";

export const DEFAULT_STOP_TIMEOUT_MS = 10_000;

/** `stop: apache`: apachectl-style graceful stop, asked three times a second apart, then SIGKILL. */
export const APACHE_LADDER: readonly StopStep[] = [
  { signal: "SIGINT", atMs: 0 },
  { signal: "SIGINT", atMs: 1_000 },
  { signal: "SIGINT", atMs: 2_000 },
  { signal: "SIGKILL", atMs: 3_000 },
];

/** The policy, or undefined if the ladder is unusable (the reasons are in `issues`). */
export function normalizeStop(
  written: WrittenService["stop"],
  path: PathSegment[],
  issues: PathIssue[],
): StopPolicy | undefined {
  if (written === undefined) return signalThenKill("SIGTERM", DEFAULT_STOP_TIMEOUT_MS);
  if (written === "apache") return { steps: APACHE_LADDER.map((s) => ({ ...s })) };
  if (!Array.isArray(written)) {
    const signal = written.signal === undefined ? "SIGTERM" : normalizeSignal(written.signal)!;
    const timeout = written.timeout === undefined ? DEFAULT_STOP_TIMEOUT_MS : parseDuration(written.timeout)!;
    return signalThenKill(signal, timeout);
  }

  const steps: StopStep[] = [];
  const before = issues.length;
  for (const [i, step] of written.entries()) {
    const signal = normalizeSignal(step.signal)!;
    const previous = steps.at(-1);
    if (previous?.signal === "SIGKILL") {
      issues.push(
        error([...path, i], "this step is never reached: SIGKILL before it ends the ladder; remove it"),
      );
      return undefined;
    }
    let atMs: number;
    if (step.after !== undefined) {
      atMs = parseDuration(step.after)!;
    } else if (previous === undefined) {
      atMs = 0; // the first step may leave `after` out: it happens when the stop begins
    } else {
      issues.push(
        error([...path, i, "after"], 'missing; expected the time since the stop began, like after: "5s"'),
      );
      continue;
    }
    if (previous && atMs < previous.atMs) {
      issues.push(
        error(
          [...path, i, "after"],
          `${formatDuration(atMs)} is earlier than the step before it (${formatDuration(previous.atMs)}); ` +
            "after counts from the start of the stop, not from the previous step",
        ),
      );
    }
    steps.push({ signal, atMs });
  }
  const last = steps.at(-1);
  if (last && last.signal !== "SIGKILL") {
    const at = formatDuration(last.atMs + 5_000);
    issues.push(
      error(
        path,
        `the ladder must end with SIGKILL; add { signal: SIGKILL, after: "${at}" } as the last step`,
      ),
    );
  }
  return issues.length === before ? { steps } : undefined;
}

function signalThenKill(signal: NodeJS.Signals, timeoutMs: number): StopPolicy {
  // Asking for SIGKILL outright needs no second step.
  if (signal === "SIGKILL") return { steps: [{ signal, atMs: 0 }] };
  return {
    steps: [
      { signal, atMs: 0 },
      { signal: "SIGKILL", atMs: timeoutMs },
    ],
  };
}
