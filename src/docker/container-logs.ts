// A container's logs as a stream of chunks, each with the stream it was written to: framed
// output demultiplexed, a TTY's raw output passed on as stdout.

import { EngineConnectionError } from "./engine-error.js";
import type { EngineHttp } from "./engine-http.js";
import { EngineStream } from "./engine-stream.js";
import { type LogChunk, LogDemuxer } from "./log-demuxer.js";

export interface LogOptions {
  /** Keep the stream open and pass on new output until the container stops. */
  follow?: boolean;
  /** Seconds since the epoch: only output after this. */
  since?: number;
  /** Only the last n lines. */
  tail?: number;
  /** Whether the container has a TTY (raw, not framed output); looked up when not given. */
  tty?: boolean;
  signal?: AbortSignal;
}

/** Resolves once the engine has answered; `name` is how errors call the container. */
export async function readContainerLogs(
  http: EngineHttp,
  ref: string,
  name: string,
  tty: boolean,
  options: LogOptions & { timeoutMs?: number },
): Promise<EngineStream<LogChunk>> {
  const action = `reading the logs of container ${name}`;
  const res = await http.request({
    method: "GET",
    path: `/containers/${encodeURIComponent(ref)}/logs`,
    query: { stdout: true, stderr: true, follow: options.follow, since: options.since, tail: options.tail },
    action,
    signal: options.signal,
    timeoutMs: options.timeoutMs,
    streaming: true,
  });
  async function* chunks(): AsyncGenerator<LogChunk> {
    if (tty) {
      for await (const chunk of res) yield { stream: "stdout", chunk: chunk as Buffer };
      return;
    }
    const demuxer = new LogDemuxer();
    for await (const chunk of res) yield* demuxer.push(chunk as Buffer);
    if (demuxer.pendingBytes > 0)
      throw new Error(`${action}: the stream ended inside a frame (${demuxer.pendingBytes} bytes held)`);
  }
  return new EngineStream(
    res,
    chunks(),
    (error) => EngineConnectionError.fromSocketError(action, http.where, error, true),
    options.signal,
  );
}
