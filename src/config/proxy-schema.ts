// The WrittenConfig of `proxy:`: settings of the proxy as a whole, for every site: how long and
// how much it holds while no instance is ready, the limits that protect it from slow or hostile
// clients, and the access log. Defaults live in proxy-settings.ts.
import { z } from "zod";
import { count, duration, expected, size } from "./schema-parts.js";

const hold = z
  .strictObject(
    {
      timeout: duration(
        "How long a request waits for a ready instance before a 503; 0 answers at once.",
        "30s",
      ).optional(),
      max_requests: count(
        "Requests that may wait at once (per service); more get a 503 at once.",
        0,
        1000,
      ).optional(),
      max_size: size(
        "Declared request bodies (Content-Length) that may wait at once, per service.",
        "16MiB",
      ).optional(),
    },
    { error: expected("{ timeout, max_requests, max_size }") },
  )
  .meta({ description: "Requests held while no instance of a route's service is ready." });

const client = z
  .strictObject(
    {
      header_timeout: duration(
        "The request head must arrive within this (slowloris); above 0.",
        "10s",
      ).optional(),
      request_timeout: duration(
        "The whole request, body included, must arrive within this; above 0.",
        "5m",
      ).optional(),
      keepalive_timeout: duration(
        "An idle keep-alive connection is closed after this; above 0.",
        "15s",
      ).optional(),
      idle_timeout: duration(
        "No byte either way on a client connection for this long closes it; 0: never.",
        "60s",
      ).optional(),
      max_header_size: size("Largest request head (request line and header fields).", "16KiB").optional(),
      max_headers: count("Most header fields in one request; more get a 431.", 1, 100).optional(),
    },
    {
      error: expected(
        "{ header_timeout, request_timeout, keepalive_timeout, idle_timeout, max_header_size, max_headers }",
      ),
    },
  )
  .meta({ description: "Limits on client connections, for every site." });

export const writtenProxySchema = z
  .strictObject(
    {
      hold: hold.optional(),
      client: client.optional(),
      access_log: z
        .boolean({ error: expected("true or false") })
        .optional()
        .meta({ description: "One line per request in <state_dir>/logs/access.log.", default: true }),
    },
    { error: expected("{ hold, client, access_log }") },
  )
  .meta({ description: "Settings of the proxy as a whole (every site)." });

export type WrittenProxy = z.input<typeof writtenProxySchema>;
