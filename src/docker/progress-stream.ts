// The progress the engine streams for a build or a pull: JSON objects, one a line, read to the
// end. An error the engine reports inside the stream (after a 200) is thrown as it worded it; a
// connection that breaks is an EngineConnectionError; an abort throws its reason.

import type { IncomingMessage } from "node:http";
import { EngineConnectionError, EngineError } from "./engine-error.js";
import { jsonLines } from "./json-lines.js";

export interface ProgressMessage {
  /** A builder's output ("Step 1/4 : FROM scratch\n"). */
  stream?: string;
  /** A pull's progress ("Pulling fs layer"). */
  status?: string;
  /** The built image's id, as the builder says it. */
  aux?: { ID?: string };
  error?: string;
  errorDetail?: { message?: string };
}

/** Each message, as it comes; the one carrying an error is yielded, then thrown as an EngineError. */
export async function* progressMessages(
  res: IncomingMessage,
  action: string,
  where: string,
  signal?: AbortSignal,
): AsyncGenerator<ProgressMessage> {
  try {
    for await (const item of jsonLines(res)) {
      const message = item as ProgressMessage;
      yield message;
      const failure = message.errorDetail?.message ?? message.error;
      if (failure !== undefined) throw new EngineError(action, undefined, failure.trim());
    }
  } catch (error) {
    res.destroy();
    if (signal?.aborted) throw signal.reason;
    if (error instanceof EngineError || !(error as NodeJS.ErrnoException).code) throw error;
    throw EngineConnectionError.fromSocketError(action, where, error as NodeJS.ErrnoException, true);
  }
}
