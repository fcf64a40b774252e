// `ready:` as written → the ProbeConfig that decides when an Instance counts as ready.
// Default: a TCP connect to the instance's port if the service has one, else ready on start.
import { parseDuration } from "../lib/durations.js";
import { normalizeCommand } from "./command.js";
import type { PortSpec, ProbeConfig } from "./config.js";
import { error, type PathIssue, type PathSegment } from "./issue.js";
import type { WrittenService } from "./schema.js";

export const DEFAULT_PROBE_INTERVAL_MS = 100;
export const DEFAULT_PROBE_TIMEOUT_MS = 1_000;

const KINDS = ["tcp", "http", "exec"] as const;

/** The probe, or undefined if it is unusable (the reasons are in `issues`). */
export function normalizeReady(
  written: WrittenService["ready"],
  port: PortSpec,
  path: PathSegment[],
  issues: PathIssue[],
): ProbeConfig | undefined {
  if (written === false || written === "none") return { kind: "none" };
  const timing = {
    intervalMs:
      written?.interval === undefined ? DEFAULT_PROBE_INTERVAL_MS : parseDuration(written.interval)!,
    timeoutMs: written?.timeout === undefined ? DEFAULT_PROBE_TIMEOUT_MS : parseDuration(written.timeout)!,
  };
  // 0 (or less than 1ms, which rounds to 0) would probe in a busy loop, or time every probe out.
  let usable = true;
  if (timing.intervalMs < 1) {
    issues.push(
      error([...path, "interval"], 'expected at least 1ms, like "100ms"; 0 would probe in a busy loop'),
    );
    usable = false;
  }
  if (timing.timeoutMs < 1) {
    issues.push(
      error([...path, "timeout"], 'expected at least 1ms, like "1s"; with 0 every probe would time out'),
    );
    usable = false;
  }
  if (!usable) return undefined;
  const kinds = KINDS.filter((k) => written?.[k] !== undefined);
  if (kinds.length > 1) {
    issues.push(error(path, `choose one probe: tcp, http or exec (found ${kinds.join(" and ")})`));
    return undefined;
  }
  // `ready: { interval: 1s }` keeps the default kind and changes only the timing.
  const kind = kinds[0] ?? (port.kind === "none" ? "none" : "tcp");
  switch (kind) {
    case "none":
      return { kind: "none" };
    case "tcp":
      return { kind: "tcp", ...timing };
    case "http":
      return { kind: "http", path: written!.http!, ...timing };
    case "exec": {
      const argv = normalizeCommand(written!.exec!, [...path, "exec"], issues);
      return argv ? { kind: "exec", argv, ...timing } : undefined;
    }
  }
}
