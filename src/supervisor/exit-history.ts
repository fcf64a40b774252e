import { describeExit, type ExitStatus } from "./exit-status.js";

/** The most recent exits of one Instance, newest last: what a crash loop is reported with. */
export class ExitHistory {
  readonly #exits: ExitStatus[] = [];

  constructor(private readonly limit = 10) {}

  record(status: ExitStatus): void {
    this.#exits.push(status);
    if (this.#exits.length > this.limit) this.#exits.shift();
  }

  recent(count = this.limit): ExitStatus[] {
    return this.#exits.slice(-count);
  }

  /**
   * e.g. "exited with code 1 ×3, killed by SIGKILL (9)". A failure to start reads "failed to
   * start": its full reason was already reported on its own line.
   */
  summary(count = 5): string {
    const groups: { text: string; times: number }[] = [];
    for (const exit of this.recent(count)) {
      const text = exit.error ? "failed to start" : describeExit(exit);
      const last = groups.at(-1);
      if (last?.text === text) last.times++;
      else groups.push({ text, times: 1 });
    }
    return groups.map((g) => (g.times > 1 ? `${g.text} ×${g.times}` : g.text)).join(", ");
  }
}
