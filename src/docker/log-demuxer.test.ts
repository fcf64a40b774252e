import assert from "node:assert/strict";
import { test } from "node:test";
import { type LogChunk, LogDemuxer } from "./log-demuxer.js";

function frame(kind: number, payload: string): Buffer {
  const header = Buffer.alloc(8);
  header[0] = kind;
  header.writeUInt32BE(Buffer.byteLength(payload), 4);
  return Buffer.concat([header, Buffer.from(payload)]);
}

const text = (chunks: LogChunk[]) => chunks.map((c) => `${c.stream}:${c.chunk.toString()}`);

test("LogDemuxer: frames in one chunk come out in order with their streams", () => {
  const demuxer = new LogDemuxer();
  const out = demuxer.push(Buffer.concat([frame(1, "out 1\n"), frame(2, "err 1\n"), frame(1, "out 2\n")]));
  assert.deepEqual(text(out), ["stdout:out 1\n", "stderr:err 1\n", "stdout:out 2\n"]);
  assert.equal(demuxer.pendingBytes, 0);
});

test("LogDemuxer: frames cut at every byte, headers included, are put back together", () => {
  const frames = [frame(2, "é€ across\n"), frame(1, "x".repeat(300)), frame(2, "last")];
  const bytes = Buffer.concat(frames);
  const demuxer = new LogDemuxer();
  const out: LogChunk[] = [];
  let frameStart = 0;
  let next = 0;
  for (let i = 0; i < bytes.length; i++) {
    const got = demuxer.push(bytes.subarray(i, i + 1));
    out.push(...got);
    // A frame comes out with its last byte, not before; until then its bytes are held.
    const frameEnd = frameStart + frames[next]!.length;
    if (i + 1 === frameEnd) {
      assert.equal(got.length, 1);
      frameStart = frameEnd;
      next++;
    } else {
      assert.equal(got.length, 0);
    }
    assert.equal(demuxer.pendingBytes, i + 1 - frameStart);
  }
  assert.deepEqual(text(out), ["stderr:é€ across\n", `stdout:${"x".repeat(300)}`, "stderr:last"]);
});

test("LogDemuxer: a frame split between a header's end and its payload, and an empty frame, which yields nothing", () => {
  const demuxer = new LogDemuxer();
  const whole = Buffer.concat([frame(1, ""), frame(1, "hello")]);
  assert.deepEqual(demuxer.push(whole.subarray(0, 16)), []);
  assert.equal(demuxer.pendingBytes, 8);
  assert.deepEqual(text(demuxer.push(whole.subarray(16))), ["stdout:hello"]);
  assert.deepEqual(demuxer.push(Buffer.alloc(0)), []);
});

test("LogDemuxer: a stream that is not framed (a TTY's raw output) is refused, not misread", () => {
  const demuxer = new LogDemuxer();
  assert.throws(() => demuxer.push(Buffer.from("plain text output\n")), /not a multiplexed stream/);
  assert.throws(
    () => new LogDemuxer().push(Buffer.from([1, 0, 1, 0, 0, 0, 0, 1, 65])),
    /not a multiplexed stream \(a frame header starts 01000100\)/,
  );
});
