// The access log: one line per request, written to <state_dir>/logs/access.log (rotated like the
// service logs). Fields are space-separated, strings that may hold spaces are quoted:
//   2026-11-30T03:20:00.123Z 127.0.0.1 "example.com" "GET /api/x?y=1" 200 1234 web#1 12.3ms 6f1c9a2b3c4d-1
import { RotatingLogFile } from "../supervisor/log-file.js";

export interface AccessRecord {
  /** When the exchange ended (ms since the epoch). */
  at: number;
  client: string;
  host: string;
  method: string;
  target: string;
  status: number;
  bytes: number;
  /** "web#1", a url's host:port, or "-" when no upstream was reached. */
  instance: string;
  durationMs: number;
  requestId: string;
}

function needsEscape(c: number): boolean {
  return c < 0x20 || c === 0x7f || c === 0x22 || c === 0x5c;
}

/** Quoted, with quotes, backslashes and controls escaped, so a line is always one line. */
function quoted(text: string): string {
  let i = 0;
  while (i < text.length && !needsEscape(text.charCodeAt(i))) i++;
  if (i === text.length) return `"${text}"`;
  let out = `"${text.slice(0, i)}`;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    out += needsEscape(c) ? `\\x${c.toString(16).padStart(2, "0")}` : text[i];
  }
  return `${out}"`;
}

// Many requests start within one millisecond under load: format its time once.
let lastMs = -1;
let lastIso = "";
function isoTime(ms: number): string {
  if (ms !== lastMs) {
    lastMs = ms;
    lastIso = new Date(ms).toISOString();
  }
  return lastIso;
}

export function accessLine(r: AccessRecord): string {
  return `${isoTime(r.at)} ${r.client} ${quoted(r.host)} ${quoted(`${r.method} ${r.target}`)} ${r.status} ${r.bytes} ${r.instance} ${r.durationMs.toFixed(1)}ms ${r.requestId}`;
}

/** Lines are gathered up to this many characters, or for FLUSH_MS, then written as one. */
const BUFFER_CHARS = 64 * 1024;
const FLUSH_MS = 250;

export class AccessLog {
  readonly #file: RotatingLogFile;
  // Like nginx's access_log buffer=: one write per batch of lines, not per request.
  #pending = "";
  #timer: NodeJS.Timeout | undefined;

  constructor(path: string, report: (message: string) => void) {
    this.#file = new RotatingLogFile(path, {
      maxBytes: 64 * 1024 * 1024,
      keep: 3,
      onError: (error) => report(`writing the access log ${path}: ${error.message}`),
    });
  }

  write(record: AccessRecord): void {
    this.#pending = this.#pending === "" ? accessLine(record) : `${this.#pending}\n${accessLine(record)}`;
    if (this.#pending.length >= BUFFER_CHARS) this.#flush();
    else this.#timer ??= setTimeout(() => this.#flush(), FLUSH_MS).unref();
  }

  #flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#pending === "") return;
    this.#file.write(this.#pending);
    this.#pending = "";
  }

  close(): Promise<void> {
    this.#flush();
    return this.#file.close();
  }
}
