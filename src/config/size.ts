// Byte sizes as written in berth.yaml (logs.max_size): "512KiB", "10MiB", "1GiB" are 1024-based,
// "500KB", "10MB", "1GB" are 1000-based, as their names say; a bare integer is bytes.

const UNIT_BYTES: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
};

/** The accepted written form, for the JSON Schema (units in any letter case). */
export const SIZE_PATTERN = "^(?:\\d+|\\d+(?:\\.\\d+)?\\s?(?:[bB]|[kKmMgG][iI]?[bB]))$";
const SIZE_RE = /^(\d+(?:\.\d+)?)\s?([a-z]*)$/i;

/** Bytes (rounded down to a whole byte), or undefined when `v` is not a size. */
export function parseSize(v: string | number): number | undefined {
  if (typeof v === "number") return Number.isSafeInteger(v) && v >= 0 ? v : undefined;
  const match = SIZE_RE.exec(v);
  if (!match) return undefined;
  const [, amount, unit] = match;
  // A bare decimal like "1.5" has no meaning in bytes; a unit is needed for fractions.
  if (!unit && amount!.includes(".")) return undefined;
  const factor = unit ? UNIT_BYTES[unit.toLowerCase()] : 1;
  if (factor === undefined) return undefined;
  return Math.floor(Number(amount) * factor);
}
