// Pieces shared by the schemas of services (schema.ts) and sites (site-schema.ts): error
// functions that say what would be valid, and the duration type.
import { z } from "zod";
import { didYouMean } from "../lib/did-you-mean.js";
import { DURATION_PATTERN } from "../lib/durations.js";
import { SIZE_PATTERN } from "./size.js";

export type Iss = { input?: unknown; code?: string };

/** An error function: "missing; expected X" when the key is absent, else "expected X". */
export function expected(what: string) {
  return (iss: Iss) => (iss.input === undefined ? `missing; expected ${what}` : `expected ${what}`);
}

export function choices(values: readonly string[]): string {
  const quoted = values.map((v) => `"${v}"`);
  return quoted.length === 1 ? quoted[0]! : `${quoted.slice(0, -1).join(", ")} or ${quoted.at(-1)}`;
}

/** An error function for a fixed set of words, with a suggestion when the input is near one. */
export function oneOf(values: readonly string[]) {
  return (iss: Iss) => {
    const hint = typeof iss.input === "string" ? didYouMean(iss.input, values) : undefined;
    return hint ? `expected ${choices(values)}; did you mean "${hint}"?` : `expected ${choices(values)}`;
  };
}

const durationError = (iss: Iss) => {
  if (typeof iss.input === "number") {
    return `expected a duration like "10s"; a bare number has no unit: write "${iss.input}s" or "${iss.input}ms"`;
  }
  return iss.input === undefined
    ? `missing; expected a duration like "10s"`
    : `expected a duration like "10s"`;
};

export const duration = (description: string, fallback?: string) =>
  z
    .union(
      [
        z.string({ error: durationError }).regex(new RegExp(DURATION_PATTERN), { error: durationError }),
        z.literal(0, { error: durationError }),
      ],
      { error: durationError },
    )
    .meta({
      description: `${description} A duration: "250ms", "10s", "1.5s", "2m", "1h", "1m30s" or 0.`,
      default: fallback,
    });

const sizeError = expected('a size like "10MiB", "512KiB", "1GiB", "10MB" or a number of bytes');

export const size = (description: string, fallback: string) =>
  z
    .union(
      [
        z.string({ error: sizeError }).regex(new RegExp(SIZE_PATTERN), { error: sizeError }),
        z.int({ error: sizeError }).min(0, { error: sizeError }),
      ],
      { error: sizeError },
    )
    .meta({
      description: `${description} KiB/MiB/GiB are 1024-based, KB/MB/GB 1000-based; a bare number is bytes.`,
      default: fallback,
    });

/** A whole number at least `min`. */
export const count = (description: string, min: number, fallback: number) =>
  z
    .int({ error: expected(`a whole number ≥ ${min}`) })
    .min(min, { error: expected(`a whole number ≥ ${min}`) })
    .meta({ description, default: fallback });
