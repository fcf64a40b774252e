// The access log: one line per request, written to <state_dir>/logs/access.log (rotated like the
// service logs). Fields are space-separated, strings that may hold spaces are quoted:
//   2026-11-30T03:20:00.123Z 127.0.0.1 "example.com" "GET /api/x?y=1" 200 1234 web#1 12.3ms 6f1c9a2b3c4d-1
import { RotatingLogFile } from "../supervisor/log-file.js";

export interface AccessRecord {
  startedAt: number;
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

/** Quoted, with quotes, backslashes and controls escaped, so a line is always one line. */
function quoted(text: string): string {
  let out = '"';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    out +=
      c < 0x20 || c === 0x7f || c === 0x22 || c === 0x5c ? `\\x${c.toString(16).padStart(2, "0")}` : text[i];
  }
  return `${out}"`;
}

export function accessLine(r: AccessRecord): string {
  return `${new Date(r.startedAt).toISOString()} ${r.client} ${quoted(r.host)} ${quoted(`${r.method} ${r.target}`)} ${r.status} ${r.bytes} ${r.instance} ${r.durationMs.toFixed(1)}ms ${r.requestId}`;
}

export class AccessLog {
  readonly #file: RotatingLogFile;

  constructor(path: string, report: (message: string) => void) {
    this.#file = new RotatingLogFile(path, {
      maxBytes: 64 * 1024 * 1024,
      keep: 3,
      onError: (error) => report(`writing the access log ${path}: ${error.message}`),
    });
  }

  write(record: AccessRecord): void {
    this.#file.write(accessLine(record));
  }

  close(): Promise<void> {
    return this.#file.close();
  }
}
