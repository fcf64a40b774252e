// The header model the passes work on: node's raw form, a flat array of name, value, name, value…
// (IncomingMessage.rawHeaders), wrapped so that order and the case of names survive and nothing is
// copied. Names are matched ASCII-case-insensitively without allocating: every lookup takes the
// name already in lower case.

/** True when `name` equals `lower` (which must already be lower case), ignoring ASCII case. */
export function equalsLower(name: string, lower: string): boolean {
  if (name.length !== lower.length) return false;
  if (name === lower) return true;
  for (let i = 0; i < name.length; i++) {
    let c = name.charCodeAt(i);
    if (c >= 65 && c <= 90) c |= 32;
    if (c !== lower.charCodeAt(i)) return false;
  }
  return true;
}

/** True when `text` starts with `lower` (already lower case) at `from`, ignoring ASCII case. */
export function startsWithLower(text: string, lower: string, from = 0): boolean {
  if (text.length - from < lower.length) return false;
  for (let i = 0; i < lower.length; i++) {
    let c = text.charCodeAt(from + i);
    if (c >= 65 && c <= 90) c |= 32;
    if (c !== lower.charCodeAt(i)) return false;
  }
  return true;
}

export class HeaderList {
  /** name, value, name, value… Owned by this list; edited in place. */
  readonly raw: string[];

  /** Takes `raw` as it is (no copy): pass `IncomingMessage.rawHeaders` or a fresh array. */
  constructor(raw: string[] = []) {
    this.raw = raw;
  }

  /** Number of (name, value) pairs. */
  get size(): number {
    return this.raw.length >> 1;
  }

  name(pair: number): string {
    return this.raw[pair * 2]!;
  }

  value(pair: number): string {
    return this.raw[pair * 2 + 1]!;
  }

  setValue(pair: number, value: string): void {
    this.raw[pair * 2 + 1] = value;
  }

  /** The index of the first pair named `lower` at or after `from`, or -1. */
  indexOf(lower: string, from = 0): number {
    const raw = this.raw;
    for (let i = from * 2; i < raw.length; i += 2) {
      if (equalsLower(raw[i]!, lower)) return i >> 1;
    }
    return -1;
  }

  has(lower: string): boolean {
    return this.indexOf(lower) !== -1;
  }

  /** The first value of `lower`, or undefined. */
  get(lower: string): string | undefined {
    const i = this.indexOf(lower);
    return i === -1 ? undefined : this.value(i);
  }

  /** Every value of `lower` joined with ", " (a list-valued field's combined form), or undefined. */
  joined(lower: string): string | undefined {
    let out: string | undefined;
    const raw = this.raw;
    for (let i = 0; i < raw.length; i += 2) {
      if (equalsLower(raw[i]!, lower)) out = out === undefined ? raw[i + 1]! : `${out}, ${raw[i + 1]!}`;
    }
    return out;
  }

  /** Removes the pairs for which `drop(name, value)` (name as sent) is true, keeping order; returns how many. */
  removeWhere(drop: (name: string, value: string) => boolean): number {
    const raw = this.raw;
    let w = 0;
    for (let r = 0; r < raw.length; r += 2) {
      const name = raw[r]!;
      const value = raw[r + 1]!;
      if (drop(name, value)) continue;
      if (w !== r) {
        raw[w] = name;
        raw[w + 1] = value;
      }
      w += 2;
    }
    const removed = (raw.length - w) >> 1;
    raw.length = w;
    return removed;
  }

  /** Removes every pair named `lower`; returns how many. */
  remove(lower: string): number {
    if (this.indexOf(lower) === -1) return 0;
    return this.removeWhere((name) => equalsLower(name, lower));
  }

  /**
   * Leaves exactly one `name: value`: the first existing pair keeps its place (and gets `name` as
   * written), later ones go; with none, it is appended.
   */
  set(name: string, value: string, lower: string = name.toLowerCase()): void {
    const first = this.indexOf(lower);
    if (first === -1) {
      this.raw.push(name, value);
      return;
    }
    this.raw[first * 2] = name;
    this.raw[first * 2 + 1] = value;
    if (this.indexOf(lower, first + 1) === -1) return;
    const raw = this.raw;
    let w = (first + 1) * 2;
    for (let r = w; r < raw.length; r += 2) {
      if (equalsLower(raw[r]!, lower)) continue;
      raw[w] = raw[r]!;
      raw[w + 1] = raw[r + 1]!;
      w += 2;
    }
    raw.length = w;
  }

  /** Appends `name: value`, keeping any already there. */
  add(name: string, value: string): void {
    this.raw.push(name, value);
  }
}
