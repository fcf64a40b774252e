// Durations as people write them in berth.yaml ("100ms", "1.5s", "1m30s") and as berth prints them.
// A bare number is refused (except 0) because "timeout: 10" reads as seconds to some and
// milliseconds to others; making the unit explicit removes the guess.

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const;

/**
 * The accepted written form, for the JSON Schema: one or more `<number><unit>` parts, largest
 * unit first is not enforced ("1m30s", "1h", "250ms"), or a lone "0".
 */
export const DURATION_PATTERN = "^(?:0|(?:\\d+(?:\\.\\d+)?(?:ms|s|m|h))+)$";
const DURATION_RE = new RegExp(DURATION_PATTERN);
const PART_RE = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;

/** Milliseconds (rounded to a whole ms), or undefined when `v` is not a duration. */
export function parseDuration(v: string | number): number | undefined {
  if (typeof v === "number") return v === 0 ? 0 : undefined;
  if (!DURATION_RE.test(v)) return undefined;
  let ms = 0;
  for (const [, amount, unit] of v.matchAll(PART_RE)) {
    ms += Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS];
  }
  return Math.round(ms);
}

/** The shortest written form that parseDuration reads back to the same value. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return `${ms}ms`;
  if (ms === 0) return "0";
  if (ms < 1_000) return `${trim(ms)}ms`;
  if (ms < 60_000) return `${trim(ms / 1_000)}s`;
  // Minutes and hours: whole units, with the remainder spelled in the next unit down.
  const h = Math.floor(ms / UNIT_MS.h);
  const m = Math.floor((ms % UNIT_MS.h) / UNIT_MS.m);
  const rest = ms % UNIT_MS.m;
  let out = "";
  if (h > 0) out += `${h}h`;
  if (m > 0) out += `${m}m`;
  if (rest > 0) out += rest % 1_000 === 0 || rest >= 1_000 ? `${trim(rest / 1_000)}s` : `${trim(rest)}ms`;
  return out;
}

// At most three decimals, no trailing zeros: 1.5 → "1.5", 2 → "2", 0.1 + 0.2 → "0.3".
function trim(n: number): string {
  return String(Number(n.toFixed(3)));
}
