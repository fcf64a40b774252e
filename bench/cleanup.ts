// Undo actions for what a benchmark started. Tasks run newest first, each once, whether the
// benchmark finished, failed or was interrupted (run.ts runs them on SIGINT/SIGTERM/SIGHUP).

type Task = () => void | Promise<void>;

export class Cleanup {
  #tasks: { label: string; task: Task }[] = [];

  /** Registers a task; the returned function runs it now (once) and unregisters it. */
  add(label: string, task: Task): () => Promise<void> {
    const entry = { label, task };
    this.#tasks.push(entry);
    return async () => {
      const index = this.#tasks.indexOf(entry);
      if (index < 0) return;
      this.#tasks.splice(index, 1);
      await runTask(entry.label, entry.task);
    };
  }

  /** Runs every task still registered, newest first. */
  async runAll(): Promise<void> {
    while (this.#tasks.length > 0) {
      const { label, task } = this.#tasks.pop()!;
      await runTask(label, task);
    }
  }
}

async function runTask(label: string, task: Task): Promise<void> {
  try {
    await task();
  } catch (error) {
    process.stderr.write(`bench: cleaning up ${label}: ${(error as Error).message}\n`);
  }
}
