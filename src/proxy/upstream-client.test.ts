import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { once } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import {
  type AddressInfo,
  createServer as createTcpServer,
  type Socket,
  type Server as TcpServer,
} from "node:net";
import { PassThrough, type Readable } from "node:stream";
import { test } from "node:test";
import { setImmediate as turn } from "node:timers/promises";
import { UpstreamPool, type UpstreamRequest } from "./upstream-client.js";

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

interface Backend {
  server: Server | TcpServer;
  port: number;
  /** Connections the backend accepted so far. */
  connections: Socket[];
  pool: UpstreamPool;
  close(): Promise<void>;
}

async function listen(server: Server | TcpServer): Promise<Backend> {
  const connections: Socket[] = [];
  server.on("connection", (socket: Socket) => connections.push(socket));
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const port = (server.address() as AddressInfo).port;
  const pool = new UpstreamPool("127.0.0.1", port, { connectTimeoutMs: 2_000 });
  return {
    server,
    port,
    connections,
    pool,
    async close() {
      pool.close();
      for (const socket of connections) socket.destroy();
      server.close();
      await once(server, "close");
    },
  };
}

const http = (listener: Listener) => listen(createServer(listener));

/** A raw TCP backend: `onData` sees each request's bytes and answers on the socket. */
function raw(onData: (socket: Socket, data: string) => void) {
  return listen(
    createTcpServer((socket) => {
      socket.setEncoding("latin1");
      socket.on("data", (data: string) => onData(socket, data));
      socket.on("error", () => {});
    }),
  );
}

interface Outcome {
  connected: boolean;
  status: number;
  statusText: string;
  headers: string[];
  body: Buffer;
  trailers: string[] | null;
  error?: Error & { code?: string };
}

interface Options {
  method?: string;
  path?: string;
  headers?: string[];
  body?: Readable | null;
  headersTimeout?: number;
  bodyTimeout?: number;
  onData?: (chunk: Buffer, resume: () => void) => boolean;
  onHeaders?: (abort: (reason?: Error) => void) => void;
}

/** One request through `pool`: resolves with everything the handler saw, however it ended. */
function request(pool: UpstreamPool, options: Options = {}): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const out: Outcome = {
      connected: false,
      status: 0,
      statusText: "",
      headers: [],
      body: Buffer.alloc(0),
      trailers: null,
    };
    const chunks: Buffer[] = [];
    let ended = false;
    let abort: ((reason?: Error) => void) | undefined;
    let resume: () => void = () => {};
    const end = () => {
      if (ended) reject(new Error("the handler was told twice how the request ended"));
      ended = true;
      out.body = Buffer.concat(chunks);
      resolve(out);
    };
    const req: UpstreamRequest = {
      method: options.method ?? "GET",
      path: options.path ?? "/",
      headers: options.headers ?? [],
      body: options.body ?? null,
      headersTimeout: options.headersTimeout ?? 5_000,
      bodyTimeout: options.bodyTimeout ?? 5_000,
    };
    pool.dispatch(req, {
      onConnect(a) {
        assert.ok(!out.connected, "onConnect twice");
        out.connected = true;
        abort = a;
      },
      onHeaders(status, headers, r, statusText) {
        out.status = status;
        out.statusText = statusText;
        out.headers = headers;
        resume = r;
        options.onHeaders?.(abort!);
        return true;
      },
      onData(chunk) {
        assert.ok(!ended, "onData after the end");
        chunks.push(chunk);
        return options.onData ? options.onData(chunk, resume) : true;
      },
      onComplete(trailers) {
        out.trailers = trailers;
        end();
      },
      onError(error) {
        out.error = error;
        end();
      },
    });
  });
}

function header(headers: string[], name: string): string | undefined {
  for (let i = 0; i < headers.length; i += 2) if (headers[i]!.toLowerCase() === name) return headers[i + 1];
  return undefined;
}

/** Waits (by event-loop turns, bounded) until `condition` holds. */
async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = performance.now() + 5_000;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`not within 5 s: ${what}`);
    await turn();
  }
}

test("content-length and chunked responses; the connection is kept and reused", async () => {
  const b = await http((req, res) => {
    if (req.url === "/cl") res.end("hello, content-length");
    else {
      res.write("hello, ");
      res.end("chunked");
    }
  });
  try {
    const a = await request(b.pool, { path: "/cl" });
    assert.equal(a.status, 200);
    assert.equal(a.statusText, "OK");
    assert.equal(a.body.toString(), "hello, content-length");
    assert.equal(header(a.headers, "content-length"), "21");
    const c = await request(b.pool, { path: "/chunked" });
    assert.equal(c.body.toString(), "hello, chunked");
    assert.equal(header(c.headers, "transfer-encoding"), "chunked");
    assert.equal(c.trailers, null);
    assert.equal(b.connections.length, 1, "both went over one connection");
    assert.equal(b.pool.idleCount, 1);
  } finally {
    await b.close();
  }
});

test("the request head: method, path, headers as given, and Host when they have none", async () => {
  const seen: { method?: string; url?: string; headers: string[] }[] = [];
  const b = await http((req, res) => {
    seen.push({ method: req.method, url: req.url, headers: req.rawHeaders });
    res.end();
  });
  try {
    await request(b.pool, { method: "DELETE", path: "/a?b=c", headers: ["X-One", "1", "x-two", "2"] });
    await request(b.pool, { headers: ["Host", "example.test"] });
    assert.equal(seen[0]!.method, "DELETE");
    assert.equal(seen[0]!.url, "/a?b=c");
    assert.deepEqual(seen[0]!.headers, ["X-One", "1", "x-two", "2", "host", `127.0.0.1:${b.port}`]);
    assert.deepEqual(seen[1]!.headers, ["Host", "example.test"]);
  } finally {
    await b.close();
  }
});

test("HEAD, 204 and 304 have no body, and the connection works for the next request", async () => {
  const b = await http((req, res) => {
    if (req.url === "/204") {
      res.writeHead(204).end();
    } else if (req.url === "/304") {
      res.writeHead(304, { ETag: '"x"' }).end();
    } else {
      res.writeHead(200, { "Content-Length": "11" });
      res.end(req.method === "HEAD" ? undefined : "hello world");
    }
  });
  try {
    const head = await request(b.pool, { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.equal(header(head.headers, "content-length"), "11");
    assert.equal(head.body.length, 0);
    assert.equal((await request(b.pool, { path: "/204" })).status, 204);
    assert.equal((await request(b.pool, { path: "/304" })).status, 304);
    const get = await request(b.pool);
    assert.equal(get.body.toString(), "hello world");
    assert.equal(b.connections.length, 1, "all four over one connection");
  } finally {
    await b.close();
  }
});

test("a body that runs to the connection's end completes, and the connection is not reused", async () => {
  const b = await raw((socket) => {
    socket.end("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end");
  });
  try {
    const a = await request(b.pool);
    assert.equal(a.error, undefined);
    assert.equal(a.body.toString(), "until the end");
    assert.equal(b.pool.idleCount, 0);
    const c = await request(b.pool);
    assert.equal(c.body.toString(), "until the end");
    assert.equal(b.connections.length, 2);
  } finally {
    await b.close();
  }
});

test("an HTTP/1.0 response without keep-alive is not reused", async () => {
  const b = await raw((socket) => {
    socket.write("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok");
  });
  try {
    assert.equal((await request(b.pool)).body.toString(), "ok");
    assert.equal(b.pool.idleCount, 0);
    assert.equal(b.pool.size, 0);
  } finally {
    await b.close();
  }
});

test("trailers come with onComplete", async () => {
  const b = await http((_req, res) => {
    res.writeHead(200, { Trailer: "X-Checksum" });
    res.write("data");
    res.addTrailers({ "X-Checksum": "abc" });
    res.end();
  });
  try {
    const a = await request(b.pool);
    assert.equal(a.body.toString(), "data");
    assert.deepEqual(a.trailers, ["X-Checksum", "abc"]);
    // And they are not taken for the next response's head.
    const c = await request(b.pool);
    assert.equal(header(c.headers, "x-checksum"), undefined);
    assert.deepEqual(c.trailers, ["X-Checksum", "abc"]);
  } finally {
    await b.close();
  }
});

test("1xx answers before the response are skipped", async () => {
  const b = await raw((socket) => {
    socket.write("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n");
    socket.write("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nbody");
  });
  try {
    const a = await request(b.pool);
    assert.equal(a.status, 200);
    assert.equal(a.body.toString(), "body");
    assert.equal(header(a.headers, "link"), undefined);
  } finally {
    await b.close();
  }
});

test("a response head split over many reads is put together", async () => {
  const text = `HTTP/1.1 200 OK\r\n${Array.from({ length: 40 }, (_, i) => `X-H${i}: ${i}\r\n`).join("")}Content-Length: 2\r\n\r\nok`;
  const b = await raw((socket) => {
    let at = 0;
    const next = () => {
      socket.write(text.slice(at, at + 7));
      at += 7;
      if (at < text.length) setImmediate(next);
    };
    next();
  });
  try {
    const a = await request(b.pool);
    assert.equal(a.status, 200);
    assert.equal(a.headers.length, 82);
    assert.equal(header(a.headers, "x-h39"), "39");
    assert.equal(a.body.toString(), "ok");
  } finally {
    await b.close();
  }
});

test("a pooled connection the upstream closed while idle is not handed out", async () => {
  const b = await http((_req, res) => res.end("ok"));
  try {
    assert.equal((await request(b.pool)).body.toString(), "ok");
    assert.equal(b.pool.idleCount, 1);
    b.connections[0]!.end();
    await until(() => b.pool.idleCount === 0, "the pool noticed the close");
    const again = await request(b.pool);
    assert.equal(again.error, undefined);
    assert.equal(again.body.toString(), "ok");
    assert.equal(b.connections.length, 2);
  } finally {
    await b.close();
  }
});

test("a response with Connection: close is not reused", async () => {
  const b = await http((_req, res) => {
    res.setHeader("Connection", "close");
    res.end("bye");
  });
  try {
    assert.equal((await request(b.pool)).body.toString(), "bye");
    assert.equal(b.pool.idleCount, 0);
    assert.equal((await request(b.pool)).body.toString(), "bye");
    assert.equal(b.connections.length, 2);
  } finally {
    await b.close();
  }
});

test("Keep-Alive: timeout=1 leaves no time to reuse the connection", async () => {
  const b = await raw((socket) => {
    socket.write("HTTP/1.1 200 OK\r\nKeep-Alive: timeout=1\r\nContent-Length: 2\r\n\r\nok");
  });
  try {
    assert.equal((await request(b.pool)).body.toString(), "ok");
    assert.equal(b.pool.idleCount, 0);
  } finally {
    await b.close();
  }
});

test("a refused connection fails before onConnect with ECONNREFUSED", async () => {
  const b = await http((_req, res) => res.end());
  const port = b.port;
  await b.close();
  const pool = new UpstreamPool("127.0.0.1", port, { connectTimeoutMs: 2_000 });
  const a = await request(pool);
  assert.equal(a.connected, false);
  assert.equal(a.error?.code, "ECONNREFUSED");
  pool.close();
});

test("the upstream closing before any answer is UND_ERR_SOCKET, after onConnect", async () => {
  const b = await raw((socket) => socket.destroy());
  try {
    const a = await request(b.pool);
    assert.equal(a.connected, true);
    assert.equal(a.status, 0);
    assert.equal(a.error?.code, "UND_ERR_SOCKET");
  } finally {
    await b.close();
  }
});

test("a body cut short by the upstream is an error, not a completion", async () => {
  const b = await raw((socket) => socket.end("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort"));
  try {
    const a = await request(b.pool);
    assert.equal(a.status, 200);
    assert.ok(a.error, "an error");
    assert.equal(a.body.toString(), "short");
  } finally {
    await b.close();
  }
});

test("no response head in time: UND_ERR_HEADERS_TIMEOUT", async () => {
  const b = await raw(() => {});
  try {
    const started = performance.now();
    const a = await request(b.pool, { headersTimeout: 150 });
    assert.equal(a.connected, true);
    assert.equal(a.error?.code, "UND_ERR_HEADERS_TIMEOUT");
    assert.ok(performance.now() - started >= 140);
    assert.equal(b.pool.size, 0, "the connection is closed");
  } finally {
    await b.close();
  }
});

test("a body that stalls longer than bodyTimeout: UND_ERR_BODY_TIMEOUT; gaps shorter are fine", async () => {
  const b = await raw((socket) => {
    socket.write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n");
    // Four pieces 60 ms apart (each gap under the timeout, their sum over it), then nothing.
    let sent = 0;
    const next = () => {
      socket.write("x");
      if (++sent < 4) setTimeout(next, 60);
    };
    next();
  });
  try {
    const a = await request(b.pool, { headersTimeout: 1_000, bodyTimeout: 150 });
    assert.equal(a.status, 200);
    assert.equal(a.body.toString(), "xxxx");
    assert.equal(a.error?.code, "UND_ERR_BODY_TIMEOUT");
  } finally {
    await b.close();
  }
});

test("a paused response does not time out", async () => {
  const b = await http((_req, res) => res.end("x".repeat(1000)));
  try {
    let resume: () => void = () => {};
    const pending = request(b.pool, {
      bodyTimeout: 50,
      onData: (_chunk, r) => {
        resume = r;
        return false;
      },
    });
    await new Promise((resolve) => setTimeout(resolve, 200)); // longer than bodyTimeout, paused
    resume();
    const a = await pending;
    assert.equal(a.error, undefined);
    assert.equal(a.body.length, 1000);
  } finally {
    await b.close();
  }
});

function hashingServer(pauseFirst?: Promise<void>) {
  return http(async (req, res) => {
    if (pauseFirst) await pauseFirst;
    const hash = createHash("sha256");
    let bytes = 0;
    try {
      for await (const chunk of req) {
        hash.update(chunk as Buffer);
        bytes += (chunk as Buffer).length;
      }
    } catch {
      return; // the request broke off: the test checks that
    }
    res.end(
      JSON.stringify({ bytes, sha256: hash.digest("hex"), te: req.headers["transfer-encoding"] ?? null }),
    );
  });
}

/** A body stream fed from `data` in 64 KiB pieces, respecting back-pressure. */
function feed(data: Buffer) {
  const body = new PassThrough();
  let written = 0;
  let blocked = 0;
  const write = () => {
    while (written < data.length) {
      const piece = data.subarray(written, written + 65_536);
      written += piece.length;
      if (!body.write(piece)) {
        blocked++;
        body.once("drain", write);
        return;
      }
    }
    body.end();
  };
  write();
  return {
    body,
    get written() {
      return written;
    },
    get blocked() {
      return blocked;
    },
  };
}

test("request bodies with Content-Length and chunked arrive whole", async () => {
  const b = await hashingServer();
  try {
    const data = randomBytes(3 * 1024 * 1024 + 7);
    const sha256 = createHash("sha256").update(data).digest("hex");
    const withLength = await request(b.pool, {
      method: "PUT",
      headers: ["Content-Length", String(data.length)],
      body: feed(data).body,
    });
    assert.deepEqual(JSON.parse(withLength.body.toString()), { bytes: data.length, sha256, te: null });
    const chunked = await request(b.pool, { method: "POST", body: feed(data).body });
    assert.deepEqual(JSON.parse(chunked.body.toString()), { bytes: data.length, sha256, te: "chunked" });
    const empty = new PassThrough();
    empty.end();
    const none = await request(b.pool, { method: "POST", body: empty });
    assert.equal(JSON.parse(none.body.toString()).bytes, 0);
    assert.equal(b.connections.length, 1, "all three over one connection");
  } finally {
    await b.close();
  }
});

test("an upstream that does not read holds the request body back, which then arrives whole", async () => {
  let startReading!: () => void;
  const b = await hashingServer(new Promise<void>((resolve) => (startReading = resolve)));
  try {
    const data = randomBytes(64 * 1024 * 1024);
    const source = feed(data);
    const pending = request(b.pool, { method: "POST", body: source.body });
    await until(() => source.blocked > 0, "the body blocked");
    // The upstream reads nothing: whatever the pool took sits in socket buffers, a few MiB at most.
    for (let i = 0; i < 200; i++) await turn();
    assert.ok(
      source.written < 32 * 1024 * 1024,
      `the pool read ${source.written} bytes the upstream did not take`,
    );
    startReading();
    const a = await pending;
    const sha256 = createHash("sha256").update(data).digest("hex");
    assert.deepEqual(JSON.parse(a.body.toString()), { bytes: data.length, sha256, te: "chunked" });
  } finally {
    await b.close();
  }
});

test("returning false from onData stops reading until resume()", async () => {
  const total = 64 * 1024 * 1024;
  let serverWrote = 0;
  const b = await http((_req, res) => {
    res.writeHead(200, { "Content-Length": String(total) });
    const piece = Buffer.alloc(65_536, 120);
    const write = () => {
      while (serverWrote < total) {
        serverWrote += piece.length;
        if (!res.write(piece)) return void res.once("drain", write);
      }
      res.end();
    };
    write();
  });
  try {
    let paused = false;
    let resume: () => void = () => {};
    let whilePaused = 0;
    let received = 0;
    const pending = request(b.pool, {
      onData: (chunk, r) => {
        received += chunk.length;
        if (paused) whilePaused++;
        if (received < 1024 * 1024) return true;
        if (!paused && resume !== r) {
          paused = true;
          resume = r;
          return false;
        }
        return true;
      },
    });
    await until(() => paused, "paused");
    const atPause = serverWrote;
    for (let i = 0; i < 200; i++) await turn();
    assert.equal(whilePaused, 0, "onData was called while paused");
    assert.ok(serverWrote - atPause < 32 * 1024 * 1024, "the upstream kept writing as if read");
    paused = false;
    resume();
    const a = await pending;
    assert.equal(a.error, undefined);
    assert.equal(received, total);
  } finally {
    await b.close();
  }
});

test("abort() mid-response destroys the connection and reports the abort's error once", async () => {
  const b = await http((_req, res) => {
    res.writeHead(200, { "Content-Length": "1000" });
    res.write("first part");
  });
  try {
    const reason = new Error("client left");
    let abort: ((reason?: Error) => void) | undefined;
    const pending = request(b.pool, {
      onHeaders: (a) => {
        abort = a;
      },
      onData: () => {
        abort!(reason);
        abort!(new Error("second abort is a no-op"));
        return true;
      },
    });
    const a = await pending;
    assert.equal(a.error, reason);
    await until(() => b.connections[0]!.destroyed, "the upstream saw the connection close");
    assert.equal(b.pool.size, 0);
  } finally {
    await b.close();
  }
});

test("abort() during a chunked upload never finishes the body upstream", async () => {
  let upstreamError: Error | undefined;
  let upstreamEnded = false;
  const b = await http((req) => {
    req.on("data", () => {});
    req.on("end", () => (upstreamEnded = true));
    req.on("error", (error) => (upstreamError = error));
  });
  try {
    const body = new PassThrough();
    body.write("some of it");
    let abort: ((reason?: Error) => void) | undefined;
    const pool = b.pool;
    const pending = new Promise<Error>((resolve) => {
      pool.dispatch(
        { method: "POST", path: "/", headers: [], body, headersTimeout: 5_000, bodyTimeout: 5_000 },
        {
          onConnect: (a) => (abort = a),
          onHeaders: () => true,
          onData: () => true,
          onComplete: () => resolve(new Error("completed")),
          onError: resolve,
        },
      );
    });
    await until(() => abort !== undefined, "connected");
    abort!(new Error("stop"));
    body.end("the rest");
    assert.equal((await pending).message, "stop");
    await until(() => upstreamError !== undefined, "the upstream saw the request break off");
    assert.equal(upstreamEnded, false);
  } finally {
    await b.close();
  }
});

test("a request body that breaks fails the request and closes the upstream connection", async () => {
  const b = await hashingServer();
  try {
    const body = new PassThrough();
    body.write("partial");
    const pending = request(b.pool, { method: "POST", headers: ["Content-Length", "100"], body });
    await until(() => b.connections.length === 1, "connected");
    body.destroy(new Error("client went away"));
    const a = await pending;
    assert.equal(a.error?.message, "client went away");
    await until(() => b.connections[0]!.destroyed, "the upstream connection closed");
  } finally {
    await b.close();
  }
});

test("close() fails requests in flight and closes idle connections", async () => {
  const b = await raw(() => {});
  try {
    const pending = request(b.pool);
    await until(() => b.connections.length === 1, "connected");
    b.pool.close();
    const a = await pending;
    assert.equal(a.error?.code, "UND_ERR_DESTROYED");
    const after = await request(b.pool);
    assert.equal(after.connected, false);
    assert.equal(after.error?.code, "UND_ERR_DESTROYED");
  } finally {
    await b.close();
  }
});

test("bytes an idle connection receives are never taken for the next response", async () => {
  let count = 0;
  const backend = await raw((socket) => {
    count++;
    if (count === 1) {
      socket.write("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\none");
      // A late, unasked-for head begins while the connection is idle...
      setImmediate(() => socket.write("HTTP/1.1 408 Request Timeout\r\n"));
    } else {
      socket.write("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\ntwo");
    }
  });
  try {
    const first = await request(backend.pool);
    assert.equal(first.body.toString(), "one");
    await eventuallyTrue(
      () => backend.pool.idleCount === 0,
      "the connection that got stray bytes is dropped",
    );
    const second = await request(backend.pool);
    assert.equal(second.status, 200);
    assert.equal(second.body.toString(), "two");
    assert.equal(backend.connections.length, 2, "the second request went on a new connection");
  } finally {
    await backend.close();
  }
});

test("a client's pause in its upload does not count against the upstream's head timeout", async () => {
  const backend = await http((req, res) => {
    req.resume();
    req.on("end", () => res.end("got it"));
  });
  try {
    const body = new PassThrough();
    const pending = request(backend.pool, {
      method: "POST",
      headers: ["content-length", "6"],
      body,
      headersTimeout: 100,
      bodyTimeout: 5_000,
    });
    body.write("abc");
    // Longer than headersTimeout, with the upload not finished: not the upstream's fault.
    await new Promise((resolve) => setTimeout(resolve, 300));
    body.end("def");
    const outcome = await pending;
    assert.equal(outcome.error, undefined, String(outcome.error));
    assert.equal(outcome.body.toString(), "got it");
  } finally {
    await backend.close();
  }
});

test("an idle connection past its upstream's keep-alive time is not handed out", async () => {
  const backend = await http((req, res) => {
    if (req.url === "/short") res.setHeader("Keep-Alive", "timeout=2");
    res.end("ok");
  });
  try {
    // timeout=2 leaves the connection idle for less than a second (berth keeps a margin).
    await request(backend.pool, { path: "/short" });
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    await request(backend.pool, { path: "/next" });
    assert.equal(backend.connections.length, 2, "a new connection, not the expired one");
  } finally {
    await backend.close();
  }
});

async function eventuallyTrue(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await turn();
  assert.ok(condition(), what);
}

test("a handler that throws while the response is parsed fails its request, not the process", async () => {
  const backend = await http((_req, res) => res.end("ok"));
  try {
    const outcome = await request(backend.pool, {
      onHeaders: () => {
        throw new Error("a defect in the handler");
      },
    });
    assert.match(String(outcome.error?.message), /handling the response: a defect in the handler/);
    assert.equal(backend.pool.idleCount, 0, "the connection is not reused");
    const next = await request(backend.pool);
    assert.equal(next.body.toString(), "ok");
  } finally {
    await backend.close();
  }
});

test("a request aborted in onConnect, before anything was written, leaves its connection reusable", async () => {
  const backend = await http((_req, res) => res.end("ok"));
  try {
    await request(backend.pool); // one connection, idle now
    const aborted = await new Promise<Error>((resolve) => {
      backend.pool.dispatch(
        { method: "GET", path: "/", headers: [], body: null, headersTimeout: 5_000, bodyTimeout: 5_000 },
        {
          onConnect: (abort) => abort(new Error("client left")),
          onHeaders: () => true,
          onData: () => true,
          onComplete: () => resolve(new Error("completed")),
          onError: resolve,
        },
      );
    });
    assert.equal(aborted.message, "client left");
    const next = await request(backend.pool);
    assert.equal(next.body.toString(), "ok");
    assert.equal(backend.connections.length, 1, "the same connection carried the next request");
  } finally {
    await backend.close();
  }
});
