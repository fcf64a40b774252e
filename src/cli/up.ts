import type { Command } from "commander";
import { Berth } from "../main.js";
import { AlreadyRunningError, StateDirError } from "../supervisor/run-record.js";
import { configOption, loadConfigOrExit } from "./config-option.js";
import { interruptProcess, Shutdown } from "./shutdown.js";

export function registerUp(program: Command): void {
  program
    .command("up")
    .description(
      "start every service and the proxy's sites in the foreground; Ctrl-C or SIGTERM stops them all, dependents first",
    )
    .addOption(configOption())
    .option("--no-color", "never colour the output (default: colour on a terminal; NO_COLOR=1 too)")
    .addHelpText(
      "after",
      `
Signals: SIGINT, SIGTERM or SIGQUIT stop everything (each instance drains, then its stop ladder);
a second one sends SIGKILL at once; a third ends berth at once. SIGHUP is ignored.
Exit status: 0 after a clean stop; 1 when berth could not start (the message says why);
2 when the config has errors; 130/143 after a third SIGINT/SIGTERM.
Logs: <state_dir>/logs/<service>.log and access.log. Keys: docs/config.md; the proxy: docs/proxy.md.`,
    )
    .action(async (options: { config: string; color: boolean }) => {
      const config = await loadConfigOrExit(options.config);
      const berth = new Berth(config, {
        out: process.stdout,
        color: options.color && process.stdout.isTTY === true && !process.env.NO_COLOR,
      });
      const shutdown = new Shutdown(berth, {
        write: (text) => process.stderr.write(text),
        exit: (code) => process.exit(code),
        interrupt: interruptProcess,
      });
      const onSignal = (signal: NodeJS.Signals) => shutdown.signal(signal);
      // SIGQUIT (Ctrl-backslash) too: by default Node would end berth without stopping anything.
      for (const signal of ["SIGINT", "SIGTERM", "SIGQUIT"] as const) process.on(signal, onSignal);
      // Node's default for SIGHUP is to exit, which would take every service down with
      // berth when its terminal closes. Reloading on SIGHUP comes with `berth reload`.
      process.on("SIGHUP", () =>
        process.stderr.write("berth: SIGHUP ignored: reloading is not supported yet\n"),
      );
      // A closed terminal must not crash berth: output then goes only to the log files.
      process.stdout.on("error", () => {});
      process.stderr.on("error", () => {});
      if (process.pid === 1) {
        process.stderr.write(
          "berth: warning: running as PID 1; orphaned processes will not be reaped. Run berth under an init (docker run --init, tini)\n",
        );
      }
      try {
        await berth.start();
      } catch (error) {
        // These say what to do next themselves; anything else is wrapped.
        const message =
          error instanceof StateDirError || error instanceof AlreadyRunningError
            ? error.message
            : `starting berth: ${error instanceof Error ? error.message : String(error)}`;
        await shutdown.startFailed(message);
      }
    });
}
