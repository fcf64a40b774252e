import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import net from "node:net";
import { join } from "node:path";
import { test } from "node:test";
import { DEFAULT_PROXY } from "../../config/proxy-settings.js";
import { ClientConnection } from "../client-connection.js";
import type { ClientResponse } from "../client-response.js";
import { checkFraming, type FramingInput } from "./framing.js";

// ---------------------------------------------------------------------------------------------------
// Unit cases
// ---------------------------------------------------------------------------------------------------

function head(
  requestLine: string,
  headers: Array<[string, string]>,
): FramingInput & { method: string; url: string } {
  const [method = "", url = "", version = ""] = requestLine.split(" ");
  const match = /^HTTP\/(\d)\.(\d)$/.exec(version);
  return {
    method,
    url,
    httpVersionMajor: Number(match?.[1] ?? 0),
    httpVersionMinor: Number(match?.[2] ?? 0),
    rawHeaders: headers.flat(),
  };
}

function verdict(requestLine: string, ...headers: Array<[string, string]>) {
  return checkFraming(head(requestLine, headers));
}

function assertRefused(v: ReturnType<typeof checkFraming>, status: 400 | 505 = 400, pattern?: RegExp) {
  assert.equal(v.ok, false, "expected a refusal");
  if (v.ok) return;
  assert.equal(v.status, status, v.reason);
  if (pattern) assert.match(v.reason, pattern);
}

const HOST: [string, string] = ["Host", "example.test"];

test("accepts ordinary requests", () => {
  assert.deepEqual(verdict("GET / HTTP/1.1", HOST), { ok: true });
  assert.deepEqual(verdict("GET /a?b=c HTTP/1.0"), { ok: true }, "HTTP/1.0 needs no Host");
  assert.deepEqual(verdict("POST /up HTTP/1.1", HOST, ["Content-Length", "12"]), { ok: true });
  assert.deepEqual(verdict("POST /up HTTP/1.1", HOST, ["Transfer-Encoding", "chunked"]), { ok: true });
  assert.deepEqual(verdict("POST /up HTTP/1.1", HOST, ["transfer-encoding", "Chunked"]), { ok: true });
  assert.deepEqual(verdict("POST /up HTTP/1.1", HOST, ["Transfer-Encoding", "gzip, chunked"]), { ok: true });
  assert.deepEqual(
    verdict("POST /up HTTP/1.1", HOST, ["Transfer-Encoding", "gzip"], ["Transfer-Encoding", "chunked"]),
    { ok: true },
    "several fields form one list",
  );
  assert.deepEqual(
    verdict("GET / HTTP/1.0", ["Content-Length", "5"]),
    { ok: true },
    "GET content allowed by default",
  );
  assert.deepEqual(verdict("GET / HTTP/1.1", HOST, ["Content-Length", "0"]), { ok: true });
  assert.deepEqual(verdict("OPTIONS * HTTP/1.1", HOST), { ok: true });
  assert.deepEqual(verdict("GET http://example.test/x?y HTTP/1.1", HOST), { ok: true });
  assert.deepEqual(verdict("GET http://[::1]:8080/x HTTP/1.1", ["Host", "[::1]:8080"]), { ok: true });
  assert.deepEqual(verdict("GET / HTTP/1.1", HOST, ["My_Custom_Header", "x"]), { ok: true });
  assert.deepEqual(verdict("GET / HTTP/1.1", ["Host", "0.0.0.0:5000"], ["X", "a\tb\xffc"]), { ok: true });
});

test("refuses versions other than 1.0 and 1.1 with 505", () => {
  assertRefused(verdict("GET /foo HTTP/2.0", HOST), 505);
  assertRefused(verdict("GET /foo HTTP/0.9"), 505);
  assertRefused(verdict("GET /foo HTTP/1.2", HOST), 505);
});

test("refuses missing or duplicate Host", () => {
  assertRefused(verdict("GET / HTTP/1.1"), 400, /without Host/);
  assertRefused(verdict("GET / HTTP/1.1", HOST, ["Host", "evil.example"]), 400, /more than one Host/);
  assertRefused(verdict("GET / HTTP/1.0", HOST, ["host", "evil.example"]), 400, /more than one Host/);
  assertRefused(verdict("GET / HTTP/1.1", ["Host", "a/b"]), 400, /invalid Host/);
  assertRefused(verdict("GET / HTTP/1.1", ["Host", "user@a"]), 400, /invalid Host/);
});

test("refuses ambiguous Transfer-Encoding", () => {
  assertRefused(verdict("POST / HTTP/1.0", ["Transfer-Encoding", "chunked"]), 400, /HTTP\/1\.0/);
  for (const te of [
    "xchunked",
    "chunked, identity",
    "identity, chunked",
    "chunked, gzip",
    "\xa0chunked",
    "chunked\xa0",
    "chunkedchunked",
    "chunked,chunked",
    "chunked;ext=1",
    "gzip;q=1, chunked",
    "gzip,,chunked",
    "chunked,",
    "pigeons",
    "",
  ]) {
    assertRefused(verdict("POST / HTTP/1.1", HOST, ["Transfer-Encoding", te]), 400);
  }
  assertRefused(
    verdict("POST / HTTP/1.1", HOST, ["Transfer-Encoding", "chunked"], ["Transfer-Encoding", "chunked"]),
    400,
    /applied twice/,
  );
  assertRefused(
    verdict("POST / HTTP/1.1", HOST, ["Transfer-Encoding", "chunked"], ["Content-Length", "5"]),
    400,
    /both/,
  );
  const strict = { refuseContentFor: new Set(["GET", "HEAD"]) };
  assertRefused(
    checkFraming(head("GET / HTTP/1.1", [HOST, ["Transfer-Encoding", "chunked"]]), strict),
    400,
    /GET/,
  );
  assertRefused(
    checkFraming(head("HEAD / HTTP/1.1", [HOST, ["Transfer-Encoding", "chunked"]]), strict),
    400,
    /HEAD/,
  );
});

test("refuses ambiguous Content-Length", () => {
  for (const cl of [
    "1000,1000",
    "1000, 1000",
    "1000 1000",
    "1000.1000",
    "-1",
    "+1",
    "1e3",
    "",
    "0x10",
    "18446744073709551616",
  ]) {
    assertRefused(verdict("POST / HTTP/1.1", HOST, ["Content-Length", cl]), 400, /Content-Length/);
  }
  assertRefused(
    verdict("POST / HTTP/1.1", HOST, ["Content-Length", "5"], ["Content-Length", "6"]),
    400,
    /more than one Content-Length/,
  );
  assertRefused(
    verdict("POST / HTTP/1.1", HOST, ["Content-Length", "5"], ["content-length", "5"]),
    400,
    /more than one Content-Length/,
  );
  const strict = { refuseContentFor: new Set(["GET", "HEAD"]) };
  assertRefused(checkFraming(head("GET / HTTP/1.1", [HOST, ["Content-Length", "1000"]]), strict), 400, /GET/);
  assertRefused(checkFraming(head("HEAD / HTTP/1.1", [HOST, ["Content-Length", "1"]]), strict), 400, /HEAD/);
  assert.deepEqual(checkFraming(head("GET / HTTP/1.1", [HOST, ["Content-Length", "0"]]), strict), {
    ok: true,
  });
});

test("refuses invalid header names, look-alikes of framing fields and control characters", () => {
  for (const name of [
    "Transfer_Encoding",
    "Content_Length",
    "transfer---encoding",
    "Transfer___Encoding",
    "Content.Length",
    "TRANSFER_ENCODING",
  ]) {
    assertRefused(verdict("POST / HTTP/1.1", HOST, [name, "chunked"]), 400, /looks like/);
  }
  for (const name of [
    "Transfer-Encoding ",
    " Host",
    "Bad\rName",
    "Bad\nName",
    "",
    "\x01X",
    "Tranſfer-Encoding",
    "a:b",
  ]) {
    assertRefused(verdict("POST / HTTP/1.1", HOST, [name, "x"]), 400, /invalid header name/);
  }
  for (const value of ["a\rb", "a\nb", "a\x00b", "a\x01", "\x7f"]) {
    assertRefused(verdict("POST / HTTP/1.1", HOST, ["X-Thing", value]), 400, /control character/);
  }
});

test("refuses special request targets that a reverse proxy does not serve", () => {
  assertRefused(verdict("GET * HTTP/1.1", HOST), 400, /only allowed for OPTIONS/);
  assertRefused(verdict("CONNECT example.test:443 HTTP/1.1", HOST), 400, /CONNECT/);
  assertRefused(verdict("GET example.test:443 HTTP/1.1", HOST), 400, /neither origin-form/);
  assertRefused(verdict("PUT s://]ufd/: HTTP/1.1", HOST), 400, /neither origin-form/);
  assertRefused(verdict("GET http://u:p@example.test/ HTTP/1.1", HOST), 400, /userinfo/);
  assertRefused(verdict("GET http:///x HTTP/1.1", HOST), 400, /authority/);
  assertRefused(verdict("GET http:/x HTTP/1.1", HOST), 400, /neither origin-form/);
  assertRefused(verdict("GET http://a%2/x HTTP/1.1", HOST), 400, /absolute-form/);
  assertRefused(checkFraming({ ...head("GET / HTTP/1.1", [HOST]), url: "" }), 400, /empty/);
  assertRefused(checkFraming({ ...head("GET / HTTP/1.1", [HOST]), url: "/a b" }), 400, /invalid character/);
});

// ---------------------------------------------------------------------------------------------------
// Replay of ../shared/corpora against berth's own client connection (node's llhttp, strict) whose
// request handler calls checkFraming, as the proxy's does
// ---------------------------------------------------------------------------------------------------

interface CorpusCase {
  id: string;
  raw: string;
  raw_with_host?: string;
  expected: "reject" | "accept" | "acceptable";
  caveats?: string[];
  phase?: "head" | "body";
  framing?: { content_length?: number; chunked?: boolean };
  complete_requests_before_error?: number;
  request?: { method: string; uri: string };
  requests?: Array<{ method: string; uri: string }>;
}

interface Corpus {
  name: string;
  cases: CorpusCase[];
  emitted: Set<string>;
}

const CORPORA_DIR = join(new URL("../../..", import.meta.url).pathname, "..", "shared", "corpora");

function loadCorpora(): Corpus[] {
  const files: Array<[string, string]> = [
    ["gunicorn", "gunicorn/manifest.json"],
    ["http-desync-guardian", "http-desync-guardian/cases.json"],
    ["llhttp", "llhttp/cases.json"],
  ];
  return files.map(([name, file]) => {
    const json = JSON.parse(readFileSync(join(CORPORA_DIR, file), "utf8")) as {
      cases: CorpusCase[];
      reject_cases_node20_emitted_request_for: string[];
    };
    return { name, cases: json.cases, emitted: new Set(json.reject_cases_node20_emitted_request_for) };
  });
}

/**
 * What berth expects for a case, after deciding each caveat:
 * - "reject": no 200 beyond `complete_requests_before_error`, and no request that passed checkFraming
 *   completed its body (the backend would never see it complete).
 * - "accept": every request answered 200, method and target as the corpus says.
 * - "either": not asserted (reported only).
 */
type Decision = { want: "reject" | "accept" | "either"; why: string };

/** Cases where berth deliberately departs from the corpus verdict. */
const IDENTITY: Decision = {
  want: "reject",
  why: "berth refuses the `identity` coding (removed since RFC 7230; a known smuggling shape)",
};
const OVERRIDES: Record<string, Decision> = {
  // The guardian calls these Transfer-Encoding lists compliant. berth refuses `identity` (see
  // checkTransferCodings) and parameters on codings (`gzip ;`, `chunked;custom_param`; llhttp itself
  // refuses the latter right after the 'request' event).
  "http-desync-guardian:rfc-compliant#8": IDENTITY,
  "http-desync-guardian:rfc-compliant#9": IDENTITY,
  "http-desync-guardian:more-compliant-tests#7": IDENTITY,
  "http-desync-guardian:more-compliant-tests#8": IDENTITY,
  "http-desync-guardian:rfc-compliant#10": { want: "reject", why: "parameters on transfer codings" },
  "http-desync-guardian:more-compliant-tests#9": {
    want: "reject",
    why: "parameters on chunked (llhttp refuses too)",
  },
  // llhttp's strict parser refuses these before any 'request' event (raw UTF-8 bytes in the target,
  // empty target); a node:http proxy cannot accept them.
  "http-desync-guardian:rfc-compliant#12": {
    want: "either",
    why: "llhttp refuses raw non-ASCII in the target",
  },
  "http-desync-guardian:rfc-compliant#13": { want: "either", why: "llhttp refuses an empty target" },
};

/** Option cases that berth refuses anyway because of its own rules (underscore look-alikes). */
const LOOK_ALIKE = /\n(?:transfer|content)[^:\r\n-]+(?:encoding|length)\s*:/i;

function decide(corpus: string, c: CorpusCase): Decision {
  const override = OVERRIDES[`${corpus}:${c.id}`];
  if (override) return override;
  const base: Decision["want"] = c.expected === "acceptable" ? "either" : c.expected;
  const caveats = (c.caveats ?? []).filter((caveat) => caveat !== "no-host" || c.raw_with_host === undefined);
  if ((c.caveats ?? []).includes("no-host") && c.raw_with_host === undefined) {
    return { want: "reject", why: "HTTP/1.1 without Host: refused by requireHostHeader" };
  }
  if (
    caveats.length === 0 ||
    caveats.every((x) => x === "no-host" || x === "duplicate" || x === "pipelined")
  ) {
    return { want: base, why: caveats.length ? `caveats ${caveats.join(",")} resolved` : "no caveats" };
  }
  const bytes = c.raw_with_host ?? c.raw;
  if (caveats.includes("option") && LOOK_ALIKE.test(bytes)) {
    return { want: "reject", why: "underscore look-alike of a framing field: berth refuses" };
  }
  if (caveats.includes("rfc-reject")) return { want: "reject", why: "RFC 9112 and llhttp refuse" };
  if (caveats.includes("incomplete")) return { want: "reject", why: "incomplete: nothing may complete" };
  if (caveats.includes("special-target")) {
    // berth's choice: origin-form, http(s) absolute-form without userinfo, and OPTIONS * pass;
    // CONNECT (authority-form) and userinfo are refused.
    const line = bytes.slice(0, bytes.indexOf("\r\n"));
    if (line.startsWith("CONNECT ") || /^\S+ https?:\/\/[^/]*@/.test(line)) {
      return { want: "reject", why: "special-target: berth refuses CONNECT and userinfo" };
    }
    return { want: "accept", why: "special-target: berth accepts absolute-form and OPTIONS *" };
  }
  return { want: "either", why: `caveats ${caveats.join(",")}: either outcome is allowed` };
}

interface ServerRecord {
  /** 'request' events. */
  requests: number;
  /** Requests that passed checkFraming (would have been forwarded). */
  passed: number;
  /** Requests that passed and whose body completed ('end'). */
  completed: number;
  /** Passed requests whose body ended in 'error' or 'aborted'. */
  bodyErrors: number;
  /** Passed requests whose response has not finished yet. */
  inFlight: number;
  refusals: string[];
  seen: Array<{ method: string; url: string }>;
  clientErrors: string[];
  /** Resolves when the server's side of the connection has closed. */
  closed?: Promise<void>;
}

interface Outcome {
  statuses: number[];
  server: ServerRecord;
}

function newRecord(): ServerRecord {
  return {
    requests: 0,
    passed: 0,
    completed: 0,
    bodyErrors: 0,
    inFlight: 0,
    refusals: [],
    seen: [],
    clientErrors: [],
  };
}

async function startServer() {
  const records = new Map<number, ServerRecord>();
  const recordFor = (socket: net.Socket) => {
    const port = socket.remotePort ?? -1;
    let record = records.get(port);
    if (!record) {
      record = newRecord();
      records.set(port, record);
    }
    return record;
  };
  const answer = (res: ClientResponse, status: number, text: string) => {
    res.writeHead(status, undefined, ["content-type", "text/plain", "content-length", String(text.length)]);
    res.end(text);
  };
  // The proxy's front: a ClientConnection with berth's default limits, half-open sockets.
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    const record = recordFor(socket);
    record.closed = new Promise((resolve) => socket.once("close", () => resolve()));
    const peer = { remoteAddress: "127.0.0.1", client: "127.0.0.1", localAddress: "127.0.0.1", localPort: 0 };
    new ClientConnection(socket, peer, DEFAULT_PROXY.client, {
      request: (req, res) => {
        record.requests++;
        record.seen.push({ method: req.method, url: req.url });
        const verdict = checkFraming(req);
        if (!verdict.ok) {
          record.refusals.push(verdict.reason);
          answer(res, verdict.status, `${verdict.reason}\n`);
          return;
        }
        record.passed++;
        const body = req.body;
        if (body === null) {
          record.completed++;
          answer(res, 200, "ok\n");
          return;
        }
        body.on("close", () => {
          if (!body.readableEnded) record.bodyErrors++;
        });
        body.on("end", () => {
          record.completed++;
          answer(res, 200, "ok\n");
        });
        body.resume();
      },
      // berth refuses CONNECT; an Upgrade is answered as a request (no upstream here).
      upgrade: (req, socket) => {
        record.requests++;
        record.seen.push({ method: req.method, url: req.url });
        const verdict =
          req.method === "CONNECT" ? { ok: false as const, reason: "CONNECT" } : checkFraming(req);
        if (!verdict.ok) {
          record.refusals.push(verdict.reason);
          socket.end("HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n");
          return;
        }
        record.passed++;
        record.completed++;
        socket.end("HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 3\r\n\r\nok\n");
      },
      clientError: (code, socket, _req, res) => {
        record.clientErrors.push(code);
        if (res === undefined) {
          socket.end("HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n");
        } else if (!res.headersSent) answer(res, 400, "bad\n");
      },
      report: (message) => {
        throw new Error(message);
      },
      closed: () => {},
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  assert.ok(address && typeof address === "object");
  return { server, port: address.port, records };
}

function bytesOf(c: CorpusCase): Buffer {
  let text = c.raw_with_host ?? c.raw;
  if (c.framing?.content_length !== undefined) text += "x".repeat(c.framing.content_length);
  if (c.framing?.chunked) text += "0\r\n\r\n";
  return Buffer.from(text, "latin1");
}

async function replay(port: number, records: Map<number, ServerRecord>, c: CorpusCase): Promise<Outcome> {
  const socket = net.connect({ host: "127.0.0.1", port });
  const chunks: Buffer[] = [];
  socket.on("data", (chunk: Buffer) => chunks.push(chunk));
  socket.on("error", () => {});
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  const localPort = socket.localPort ?? -2;
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  socket.write(bytesOf(c));
  await new Promise((resolve) => setTimeout(resolve, 20));
  socket.end();
  const timer = setTimeout(() => socket.destroy(), 2000);
  await closed;
  clearTimeout(timer);
  await records.get(localPort)?.closed;
  // The request's 'error' follows its 'aborted' on the next tick.
  await new Promise((resolve) => setImmediate(resolve));
  const text = Buffer.concat(chunks).toString("latin1");
  const statuses = [...text.matchAll(/(?:^|\n)HTTP\/1\.[01] (\d{3}) /g)].map((m) => Number(m[1]));
  const server = records.get(localPort) ?? newRecord();
  // The next case's connection may get the same port.
  records.delete(localPort);
  return { statuses, server };
}

test("replays the HTTP/1.1 corpora against berth's client connection + checkFraming", async (t) => {
  if (!existsSync(CORPORA_DIR)) {
    t.skip(`corpora not found at ${CORPORA_DIR}: replay skipped`);
    return;
  }
  const corpora = loadCorpora();
  const { server, port, records } = await startServer();
  const failures: string[] = [];
  const refusedEmitted: string[] = [];
  const passedEmitted: string[] = [];
  const forwardedThenAborted: string[] = [];
  const unasserted: string[] = [];
  let total = 0;
  let asserted = 0;
  try {
    for (const corpus of corpora) {
      for (const c of corpus.cases) {
        total++;
        const key = `${corpus.name}:${c.id}`;
        const decision = decide(corpus.name, c);
        const outcome = await replay(port, records, c);
        const { statuses, server: rec } = outcome;
        const ok200 = statuses.filter((s) => s === 200).length;
        const summary = `${key} [${decision.why}] statuses=${JSON.stringify(statuses)} requests=${rec.requests} passed=${rec.passed} completed=${rec.completed} bodyErrors=${rec.bodyErrors} refusals=${JSON.stringify(rec.refusals)} clientErrors=${JSON.stringify(rec.clientErrors)}`;
        if (corpus.emitted.has(c.id)) {
          if (rec.passed === 0 && rec.requests > 0) refusedEmitted.push(key);
          else passedEmitted.push(summary);
        }
        if (c.expected === "reject" && rec.passed > (c.complete_requests_before_error ?? 0)) {
          forwardedThenAborted.push(summary);
        }
        if (decision.want === "either") {
          unasserted.push(summary);
          continue;
        }
        asserted++;
        if (decision.want === "reject") {
          const allowed = c.complete_requests_before_error ?? 0;
          const problems: string[] = [];
          if (ok200 > allowed) problems.push(`answered 200 ${ok200}× (allowed ${allowed})`);
          if (rec.completed > allowed) problems.push(`a request passed the check and completed its body`);
          if (c.phase === "body" && rec.passed > allowed && rec.bodyErrors === 0) {
            problems.push("body-phase defect but the server saw no body error");
          }
          if (problems.length) failures.push(`${summary}: ${problems.join("; ")}`);
        } else {
          const expectedRequests = c.requests ?? (c.request ? [c.request] : undefined);
          const count = expectedRequests?.length ?? 1;
          const problems: string[] = [];
          if (ok200 !== count || statuses.length !== count) problems.push(`expected ${count}× 200`);
          if (expectedRequests) {
            const seen = rec.seen.map((r) => `${r.method} ${r.url}`);
            const want = expectedRequests.map((r) => `${r.method} ${r.uri}`);
            if (JSON.stringify(seen) !== JSON.stringify(want)) {
              problems.push(`saw ${JSON.stringify(seen)}, want ${JSON.stringify(want)}`);
            }
          }
          if (problems.length) failures.push(`${summary}: ${problems.join("; ")}`);
        }
      }
    }
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  const emittedTotal = corpora.reduce((n, corpus) => n + corpus.emitted.size, 0);
  t.diagnostic(`cases ${total}, asserted ${asserted}, passing ${asserted - failures.length}`);
  t.diagnostic(
    `node20-emitted reject cases: ${emittedTotal}; refused by checkFraming: ${refusedEmitted.length}`,
  );
  t.diagnostic(`refused: ${refusedEmitted.join(" ")}`);
  for (const line of passedEmitted) t.diagnostic(`emitted, passed the check: ${line}`);
  for (const line of forwardedThenAborted)
    t.diagnostic(`reject case that passed the check (forwarder must abort): ${line}`);
  for (const line of unasserted) t.diagnostic(`not asserted: ${line}`);
  assert.deepEqual(failures, []);
});
