import assert from "node:assert/strict";
import { once } from "node:events";
import { Writable } from "node:stream";
import { test } from "node:test";
import { LogSink } from "./log-sink.js";

/** A Writable that collects what reaches it and can be held back like a slow terminal. */
class SlowOutput extends Writable {
  text = "";

  constructor() {
    super({ highWaterMark: 256 });
  }

  #held: (() => void)[] = [];
  #holding = false;

  hold(): void {
    this.#holding = true;
  }

  release(): void {
    this.#holding = false;
    for (const done of this.#held.splice(0)) done();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    this.text += chunk.toString();
    if (this.#holding) this.#held.push(() => done());
    else done();
  }
}

const lines = (out: SlowOutput) => out.text.split("\n").slice(0, -1);

test("instance lines are prefixed with the instance, padded to the longest name seen", () => {
  const out = new SlowOutput();
  const sink = new LogSink({ out, color: false });
  sink.instanceLine("web#1", "stdout", "hello");
  sink.instanceLine("cache#1", "stderr", "ready");
  sink.instanceLine("web#2", "stdout", "hi");
  assert.deepEqual(lines(out), ["web#1 | hello", "cache#1 | ready", "web#2   | hi"]);
});

test("given the names up front, the prefix column is as wide from the first line", () => {
  const out = new SlowOutput();
  const sink = new LogSink({ out, color: false, names: ["web#1", "worker#1"] });
  sink.instanceLine("web#1", "stdout", "hello");
  sink.instanceLine("worker#1", "stdout", "hi");
  assert.deepEqual(lines(out), ["web#1    | hello", "worker#1 | hi"]);
});

test("events: about an instance, and about berth itself", () => {
  const out = new SlowOutput();
  const sink = new LogSink({ out, color: false });
  sink.event("web#1", "started (pid 1234)");
  sink.event(undefined, "stopping all services");
  assert.deepEqual(lines(out), ["web#1 | [berth] started (pid 1234)", "[berth] stopping all services"]);
});

test("with colour, the prefix is coloured per service and the text is left alone", () => {
  const out = new SlowOutput();
  const sink = new LogSink({ out, color: true });
  sink.instanceLine("web#1", "stdout", "a");
  sink.instanceLine("web#2", "stderr", "b");
  const [first, second] = lines(out);
  // The escape sequence that opens the line, e.g. "\x1b[36m".
  const colour = (line: string | undefined) =>
    line?.startsWith("\x1b[") ? line.slice(0, line.indexOf("m") + 1) : undefined;
  assert.ok(colour(first), `no colour in ${JSON.stringify(first)}`);
  assert.equal(colour(first), colour(second));
  assert.ok(first?.endsWith("\x1b[0m a"));
  assert.ok(second?.endsWith("\x1b[0m b"));
});

test("when the output falls behind, lines are dropped and counted, then reported once it drains", async () => {
  const out = new SlowOutput();
  const sink = new LogSink({ out, color: false, maxBufferedBytes: 1000 });
  out.hold();
  const line = "x".repeat(99); // 100 bytes with the newline, + "web#1 | "
  for (let i = 0; i < 50; i++) sink.instanceLine("web#1", "stdout", line);
  assert.ok(out.writableLength > 1000);
  assert.ok(out.writableLength < 1200, "writing stopped soon after the limit");
  const dropped = sink.dropped;
  assert.ok(dropped > 30, `only ${dropped} dropped`);
  const drained = once(out, "drain");
  out.release();
  await drained;
  sink.instanceLine("web#1", "stdout", "after");
  const written = lines(out);
  assert.equal(written.length, 50 - dropped + 2);
  assert.equal(written.at(-2), `[berth] ${dropped} lines dropped: output too slow`);
  assert.equal(written.at(-1), "web#1 | after");
  assert.equal(sink.dropped, dropped, "the total is kept");
});

test("an output that fails (EPIPE) silences the sink instead of crashing berth", () => {
  const out = new SlowOutput();
  const sink = new LogSink({ out, color: false });
  out.emit("error", Object.assign(new Error("write EPIPE"), { code: "EPIPE" }));
  sink.instanceLine("web#1", "stdout", "lost");
  assert.equal(out.text, "");
});
