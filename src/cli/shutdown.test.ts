import assert from "node:assert/strict";
import { test } from "node:test";
import { Shutdown, type Stoppable } from "./shutdown.js";

/** A Berth whose stop the test finishes (or fails) by hand. */
class FakeBerth implements Stoppable {
  stops = 0;
  kills = 0;
  finish: () => void = () => {};
  fail: (error: Error) => void = () => {};
  readonly #stopped = new Promise<void>((resolve, reject) => {
    this.finish = resolve;
    this.fail = reject;
  });

  stop(): Promise<void> {
    this.stops++;
    return this.#stopped;
  }

  kill(): void {
    this.kills++;
  }
}

function setup() {
  const berth = new FakeBerth();
  const written: string[] = [];
  const exits: (number | NodeJS.Signals)[] = [];
  const shutdown = new Shutdown(berth, {
    write: (t) => written.push(t),
    exit: (c) => exits.push(c),
    interrupt: (signal) => exits.push(signal),
  });
  return { berth, written, exits, shutdown };
}

/** Lets the promise callbacks already queued run; one turn of the event loop, not a timed wait. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

test("first signal stops and exits 0 once stopped; the second kills", async () => {
  const { berth, written, exits, shutdown } = setup();
  shutdown.signal("SIGINT");
  assert.equal(berth.stops, 1);
  assert.match(written[0]!, /^\nberth: SIGINT: stopping all services \(SIGINT again kills them at once\)\n$/);
  shutdown.signal("SIGTERM");
  assert.equal(berth.kills, 1);
  assert.match(written[1]!, /^berth: SIGTERM again: killing them at once \(a third SIGTERM exits now\)\n$/);
  await settle();
  assert.deepEqual(exits, []);
  berth.finish();
  await settle();
  assert.deepEqual(exits, [0]);
});

test("a third signal ends berth at once by that signal, saying the watchdog kills the processes left and the next berth up removes the containers", () => {
  const { berth, written, exits, shutdown } = setup();
  shutdown.signal("SIGINT");
  shutdown.signal("SIGINT");
  shutdown.signal("SIGINT");
  assert.deepEqual(exits, ["SIGINT"], "not exit(): it would wait for a hung worker thread");
  assert.equal(
    written.at(-1),
    "berth: SIGINT a third time: exiting now; berth's watchdog kills the processes left; containers left are removed by the next berth up\n",
  );
  assert.equal(berth.kills, 1);
});

test("a stop that fails prints `berth: stopping: <cause>` and exits 1, with no unhandled rejection", async () => {
  const { berth, written, exits, shutdown } = setup();
  shutdown.signal("SIGTERM");
  berth.fail(new Error("EACCES: permission denied, unlink '.berth/run.json'"));
  await settle();
  assert.equal(written.at(-1), "berth: stopping: EACCES: permission denied, unlink '.berth/run.json'\n");
  assert.deepEqual(exits, [1]);
});

test("a stop() that throws is a failed stop too", async () => {
  const written: string[] = [];
  const exits: number[] = [];
  const throwing: Stoppable = {
    stop: () => {
      throw new Error("boom");
    },
    kill: () => {},
  };
  const options = {
    write: (t: string) => written.push(t),
    exit: (c: number) => exits.push(c),
    interrupt() {},
  };
  await new Shutdown(throwing, options).startFailed("starting berth: x");
  assert.deepEqual(written, ["berth: starting berth: x\n", "berth: stopping: boom\n"]);
  assert.deepEqual(exits, [1]);
});

test("a failed start says why, stops, and exits 1; a failing stop then does not throw", async () => {
  const { berth, written, exits, shutdown } = setup();
  const done = shutdown.startFailed("starting berth: spawn ENOENT");
  assert.equal(written[0], "berth: starting berth: spawn ENOENT\n");
  berth.fail(new Error("disk gone"));
  await done; // resolves: the action never throws
  assert.deepEqual(written.slice(1), ["berth: stopping: disk gone\n"]);
  assert.deepEqual(exits, [1]);
});

test("a start that fails while a signal's stop is running exits 1, not 0, and only once", async () => {
  const { berth, exits, shutdown } = setup();
  shutdown.signal("SIGINT");
  const done = shutdown.startFailed("starting berth: boom");
  assert.equal(berth.stops, 1, "one stop for both");
  berth.finish();
  await done;
  await settle();
  assert.deepEqual(exits, [1]);
});
