import { join } from "node:path";
import type { Config } from "../config/config.js";
import { logFileLine, RotatingLogFile } from "./log-file.js";

/** One rotating file per Service under <state dir>/logs/, holding its instances' lines and berth's events. */
export class ServiceLogs {
  readonly #files = new Map<string, RotatingLogFile>();

  /** `report` receives berth's own error lines (default: stderr). */
  constructor(config: Config, report: (line: string) => void = (line) => process.stderr.write(line)) {
    for (const service of config.services) {
      if (!service.logs.enabled) continue;
      const path = join(config.stateDir, "logs", `${service.name}.log`);
      this.#files.set(
        service.name,
        new RotatingLogFile(path, {
          maxBytes: service.logs.maxBytes,
          keep: service.logs.keep,
          // Once per failure (see RotatingLogFile), not once per line.
          onError: (error) =>
            report(
              `berth: cannot write ${path}: ${error.message}; its lines are dropped until it can be written again\n`,
            ),
        }),
      );
    }
  }

  /**
   * `subject` is an instance ("web#1") or a service name; undefined for berth's own events
   * (started, stopping all services), which go into every file so each one tells its runs apart.
   */
  line(subject: string | undefined, stream: "stdout" | "stderr" | "berth", text: string): void {
    const files = subject ? [this.#files.get(subject.split("#")[0]!)] : [...this.#files.values()];
    const line = logFileLine(new Date(), subject ?? "berth", stream, text);
    for (const file of files) file?.write(line);
  }

  async close(): Promise<void> {
    await Promise.all([...this.#files.values()].map((f) => f.close()));
  }
}
