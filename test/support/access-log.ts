// berth's access log, which the proxy tests read to find a request's line; berth writes it
// asynchronously, so a lookup waits for the line to appear.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { eventually } from "./berth-process.js";

export class AccessLog {
  readonly file: string;

  /** The log of the berth whose state directory is `stateDir`: <stateDir>/logs/access.log. */
  constructor(stateDir: string) {
    this.file = join(stateDir, "logs", "access.log");
  }

  /** Its lines so far (none while there is no file). */
  lines(): string[] {
    try {
      return readFileSync(this.file, "utf8").split("\n").filter(Boolean);
    } catch {
      return [];
    }
  }

  /** The line of this request id (its last field); waits for it. */
  async line(requestId: string): Promise<string> {
    let found: string | undefined;
    await eventually(() => {
      found = this.lines().find((l) => l.endsWith(` ${requestId}`));
      return found !== undefined;
    }, `an access log line ending in ${requestId}`);
    return found!;
  }

  /** The line of the request `"METHOD target"`; waits for it. */
  async lineFor(methodAndTarget: string): Promise<string> {
    let found: string | undefined;
    const quoted = ` "${methodAndTarget}" `;
    await eventually(
      () => {
        found = this.lines().find((l) => l.includes(quoted));
        return found !== undefined;
      },
      `an access log line with ${quoted}; the log has:\n${this.lines().join("\n")}`,
    );
    return found!;
  }
}
