// The engine streams progress (builds) and events as JSON objects, one a line ("\n" or "\r\n").

import { StringDecoder } from "node:string_decoder";

/** The objects of a stream of JSON lines, as they arrive. A line that is not JSON throws. */
export async function* jsonLines(source: AsyncIterable<Buffer | string>): AsyncGenerator<unknown> {
  const decoder = new StringDecoder("utf8");
  let rest = "";
  for await (const chunk of source) {
    rest += typeof chunk === "string" ? chunk : decoder.write(chunk);
    let newline = rest.indexOf("\n");
    while (newline !== -1) {
      const line = rest.slice(0, newline).trim();
      rest = rest.slice(newline + 1);
      if (line !== "") yield parseLine(line);
      newline = rest.indexOf("\n");
    }
  }
  const last = (rest + decoder.end()).trim();
  if (last !== "") yield parseLine(last);
}

function parseLine(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    throw new Error(`reading the engine's stream: a line is not JSON: ${line.slice(0, 200)}`);
  }
}
