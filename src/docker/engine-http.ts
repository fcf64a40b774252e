// HTTP to the Docker engine over node:http: its unix socket or a TCP port, every path under the
// pinned API version, error answers turned into EngineError and missing answers into
// EngineConnectionError, each worded after what the caller was doing.

import { Agent, request as httpRequest, type IncomingMessage } from "node:http";
import { Readable } from "node:stream";
import { describeAddress, type EngineAddress } from "./engine-address.js";
import { EngineConnectionError, EngineError } from "./engine-error.js";

/** The engine API version berth speaks; engines from Docker 20.10 on answer it. */
export const API_VERSION = "1.41";

export type QueryValue = string | number | boolean | undefined;

export interface EngineRequest {
  method: "GET" | "POST" | "DELETE" | "HEAD";
  /** Under the version prefix: "/containers/create". */
  path: string;
  query?: Record<string, QueryValue>;
  /** Sent as JSON. */
  json?: unknown;
  /** Sent as is, with `contentType`. */
  body?: Buffer | Readable;
  contentType?: string;
  /** What the caller is doing, for errors: "creating container berth-web-1". */
  action: string;
  signal?: AbortSignal;
  /**
   * Milliseconds for the whole exchange (head and body) unless `streaming`, then only until the
   * head arrives. undefined: no limit.
   */
  timeoutMs?: number;
  streaming?: boolean;
}

export class EngineHttp {
  readonly address: EngineAddress;
  readonly where: string;
  readonly #agent = new Agent({ keepAlive: true });

  constructor(address: EngineAddress) {
    this.address = address;
    this.where = describeAddress(address);
  }

  /**
   * The engine's answer, its status below 400; the caller reads (or destroys) the body. An error
   * status is read and thrown as an EngineError.
   */
  request(req: EngineRequest): Promise<IncomingMessage> {
    const { signal, action } = req;
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<IncomingMessage>((resolve, reject) => {
      let response: IncomingMessage | undefined;
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      const fail = (error: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        reject(error);
      };
      const onAbort = () => {
        response?.destroy();
        outgoing.destroy();
        fail(signal!.reason);
      };

      const headers: Record<string, string> = {};
      let payload: Buffer | Readable | undefined = req.body;
      if (req.json !== undefined) {
        payload = Buffer.from(JSON.stringify(req.json));
        headers["content-type"] = "application/json";
      } else if (payload !== undefined) {
        headers["content-type"] = req.contentType ?? "application/octet-stream";
      }
      if (Buffer.isBuffer(payload)) headers["content-length"] = String(payload.length);

      const outgoing = httpRequest({
        agent: this.#agent,
        method: req.method,
        path: `/v${API_VERSION}${req.path}${queryString(req.query)}`,
        headers,
        ...(this.address.kind === "unix"
          ? { socketPath: this.address.socketPath, host: "docker" }
          : { host: this.address.host, port: this.address.port }),
      });
      signal?.addEventListener("abort", onAbort, { once: true });
      if (req.timeoutMs !== undefined) {
        const ms = req.timeoutMs;
        timer = setTimeout(() => {
          const error = EngineConnectionError.timeout(action, this.where, ms);
          // After the head, destroying the response makes its reader fail with this error.
          response?.destroy(error);
          outgoing.destroy(error);
          fail(error);
        }, ms);
      }

      outgoing.on("error", (error: NodeJS.ErrnoException) => {
        if (error instanceof EngineConnectionError) return fail(error);
        if (signal?.aborted) return fail(signal.reason);
        fail(EngineConnectionError.fromSocketError(action, this.where, error, response !== undefined));
      });
      outgoing.on("response", (res) => {
        response = res;
        if (res.statusCode! >= 400) {
          readText(res).then(
            (text) => fail(new EngineError(action, res.statusCode, engineMessage(text, res.statusCode!))),
            (error: NodeJS.ErrnoException) =>
              fail(EngineConnectionError.fromSocketError(action, this.where, error, true)),
          );
          return;
        }
        if (req.streaming || timer === undefined) {
          clearTimeout(timer);
        } else {
          // The timer keeps running until the body is read; it destroys the response if not.
          res.once("close", () => clearTimeout(timer));
        }
        settled = true;
        // Abort still ends the exchange after the head: it destroys the request and its response.
        res.once("close", () => signal?.removeEventListener("abort", onAbort));
        resolve(res);
      });

      if (payload instanceof Readable) {
        payload.on("error", (error) => outgoing.destroy(error));
        payload.pipe(outgoing);
      } else {
        outgoing.end(payload);
      }
    });
  }

  /** The answer's body parsed as JSON (undefined for an empty body). */
  async json<T>(req: EngineRequest): Promise<T> {
    const res = await this.request(req);
    let text: string;
    try {
      text = await readText(res);
    } catch (error) {
      throw this.#readError(req, error);
    }
    if (text.trim() === "") return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new EngineError(
        req.action,
        res.statusCode,
        `the engine's answer is not JSON: ${text.slice(0, 200)}`,
      );
    }
  }

  /** Sends the request and drops the answer's body (for calls that answer 204 or 304). */
  async call(req: EngineRequest): Promise<number> {
    const res = await this.request(req);
    try {
      await readText(res);
    } catch (error) {
      throw this.#readError(req, error);
    }
    return res.statusCode!;
  }

  /** An error while reading a body: the abort's reason, the timeout, or a lost connection. */
  #readError(req: EngineRequest, error: unknown): unknown {
    if (req.signal?.aborted) return req.signal.reason;
    if (error instanceof EngineConnectionError) return error;
    return EngineConnectionError.fromSocketError(
      req.action,
      this.where,
      error as NodeJS.ErrnoException,
      true,
    );
  }

  /** Closes every connection to the engine, idle or not: streams still going (events, logs, waits) end. */
  close(): void {
    this.#agent.destroy();
  }
}

function queryString(query: Record<string, QueryValue> | undefined): string {
  if (query === undefined) return "";
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined) params.set(name, String(value));
  }
  const text = params.toString();
  return text === "" ? "" : `?${text}`;
}

async function readText(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** The engine's error answers are {"message": "…"}; anything else is shown as it came. */
function engineMessage(text: string, status: number): string {
  try {
    const parsed = JSON.parse(text) as { message?: unknown };
    if (typeof parsed.message === "string" && parsed.message !== "") return parsed.message;
  } catch {
    // not JSON: the text itself
  }
  return text.trim() === "" ? `HTTP ${status}` : text.trim();
}
