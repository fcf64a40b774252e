import type { Command } from "commander";
import { Berth } from "../main.js";
import { AlreadyRunningError } from "../supervisor/run-record.js";
import { loadConfigOrExit } from "./config-option.js";

export function registerUp(program: Command): void {
  program
    .command("up")
    .description("start every service in the foreground; Ctrl-C or SIGTERM stops them all, dependents first")
    .option("-c, --config <path>", "the config file", "berth.yaml")
    .option("--no-color", "never colour the output (default: colour on a terminal)")
    .action(async (options: { config: string; color: boolean }) => {
      const config = await loadConfigOrExit(options.config);
      const berth = new Berth(config, {
        out: process.stdout,
        color: options.color && process.stdout.isTTY === true && !process.env.NO_COLOR,
      });
      let signals = 0;
      const onSignal = (signal: NodeJS.Signals) => {
        signals++;
        if (signals === 1) {
          process.stderr.write(
            `\nberth: ${signal}: stopping all services (${signal} again kills them at once)\n`,
          );
          void berth.stop().then(() => process.exit(0));
        } else {
          berth.kill();
        }
      };
      process.on("SIGINT", onSignal);
      process.on("SIGTERM", onSignal);
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
        const message =
          error instanceof AlreadyRunningError
            ? error.message
            : `starting berth: ${(error as Error).message}`;
        process.stderr.write(`berth: ${message}\n`);
        await berth.stop();
        process.exit(1);
      }
    });
}
