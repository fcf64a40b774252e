// The WrittenConfig of `sites:` (the proxy's), as a zod schema: shapes and leaf formats, with
// the formats' own messages (site-formats.ts). What spans keys — service or url, durations
// above 0, duplicate paths — is normalize's (sites.ts); what spans sites and services, rules'.
import { z } from "zod";
import { duration, expected, type Iss, oneOf } from "./schema-parts.js";
import {
  checkHeaderName,
  checkHeaderValue,
  type Parsed,
  parseCidr,
  parseHost,
  parseListen,
  parseRoutePath,
  parseUpstreamUrl,
} from "./site-formats.js";

export const BALANCE_MODES = ["round_robin", "least_conn"] as const;

/** A string checked by a site-formats parser, whose message is the error. */
function formatted(what: string, check: (s: string) => Parsed<unknown> | string | undefined) {
  return z.string({ error: expected(what) }).superRefine((s, ctx) => {
    const result = check(s);
    const message = typeof result === "object" ? (result.ok ? undefined : result.error) : result;
    if (message !== undefined) ctx.addIssue({ code: "custom", message, input: s });
  });
}

const listenError = expected('a port like 8080, "127.0.0.1:8080", "[::1]:8080", or a list of these');
const portRange = (iss: Iss) => `port ${String(iss.input)} is out of range: expected 1 to 65535`;
const listenOne = z.union(
  [
    z.int({ error: listenError }).min(1, { error: portRange }).max(65535, { error: portRange }),
    formatted("a listen address", parseListen),
  ],
  { error: listenError },
);
const listen = z
  .union([listenOne, z.array(listenOne, { error: listenError }).min(1, { error: listenError })], {
    error: listenError,
  })
  .meta({
    description:
      'Where the site listens: a port (all interfaces, IPv4 and IPv6), "host:port", "[v6]:port", or a list of these.',
  });

const headerName = formatted("a header name", checkHeaderName);
const headerValueError = expected("a header value: a string or a number (quote true, false and null)");
const headerValue = z
  .union([z.string({ error: headerValueError }), z.number({ error: headerValueError })], {
    error: headerValueError,
  })
  .superRefine((v, ctx) => {
    const message = checkHeaderValue(String(v));
    if (message) ctx.addIssue({ code: "custom", message, input: v });
  });
const headerMap = z.record(headerName, headerValue, { error: expected("a map of Header-Name: value") });
const headerOps = z.strictObject(
  {
    set: headerMap.optional().meta({ description: "Replace (or add) these headers." }),
    add: headerMap.optional().meta({ description: "Add a value, keeping any already there." }),
    remove: z
      .array(headerName, { error: expected("a list of header names") })
      .optional()
      .meta({ description: "Remove these headers." }),
  },
  { error: expected("{ set, add, remove }") },
);

const route = z
  .strictObject(
    {
      path: formatted('a path like "/" or "/api"', parseRoutePath).meta({
        description: "A path prefix; the longest matching one wins.",
      }),
      strip_prefix: z
        .boolean({ error: expected("true or false") })
        .optional()
        .meta({ description: "Remove the path prefix before forwarding.", default: false }),
      service: z
        .string({ error: expected("a service name") })
        .optional()
        .meta({ description: "Forward to this service's ready instances (it needs a port)." }),
      url: formatted('an http:// URL like "http://127.0.0.1:9000"', parseUpstreamUrl)
        .optional()
        .meta({ description: "Forward to a server berth does not run: http://host:port." }),
      balance: z
        .enum(BALANCE_MODES, { error: oneOf(BALANCE_MODES) })
        .optional()
        .meta({ description: "How requests are spread over a service's instances.", default: "round_robin" }),
      preserve_host: z
        .boolean({ error: expected("true or false") })
        .optional()
        .meta({
          description: "Send the client's Host header upstream (else the upstream's).",
          default: true,
        }),
      headers: z
        .strictObject(
          { request: headerOps.optional(), response: headerOps.optional() },
          { error: expected("{ request, response }") },
        )
        .optional(),
      timeouts: z
        .strictObject(
          {
            connect: duration("Connecting to the upstream; above 0.", "5s").optional(),
            response_header: duration(
              "Until the upstream's response head arrives; above 0.",
              "60s",
            ).optional(),
            idle: duration("No byte either way for this long ends the exchange; above 0.", "60s").optional(),
          },
          { error: expected("{ connect, response_header, idle }") },
        )
        .optional(),
    },
    { error: expected("a route: { path, service } or { path, url }") },
  )
  .meta({ description: "A path prefix and where it is forwarded." });

export const writtenSiteSchema = z
  .strictObject(
    {
      listen,
      hosts: z
        .array(formatted('a host name like "example.com" or "*.example.com"', parseHost), {
          error: expected("a list of host names"),
        })
        .optional()
        .meta({ description: 'Exact names and "*.domain" wildcards; none = any host.' }),
      default: z
        .boolean({ error: expected("true or false") })
        .optional()
        .meta({ description: "Answer requests for hosts no site on this address names.", default: false }),
      trusted_proxies: z
        .array(formatted('an IP or CIDR like "10.0.0.0/8"', parseCidr), {
          error: expected('a list of IPs or CIDR ranges, like ["10.0.0.0/8", "::1"]'),
        })
        .optional()
        .meta({ description: "Peers whose X-Forwarded-* and Forwarded headers are kept and appended to." }),
      routes: z
        .array(route, { error: expected("a list of routes, like [{ path: /, service: web }]") })
        .min(1, { error: "expected at least one route, like { path: /, service: web }" }),
    },
    { error: expected("a site: { listen, hosts, routes }") },
  )
  .meta({ description: "A site of the proxy: where it listens, the hosts it answers, its routes." });

export type WrittenSite = z.input<typeof writtenSiteSchema>;
export type WrittenRoute = z.input<typeof route>;
