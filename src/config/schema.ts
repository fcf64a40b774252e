// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} is berth's own syntax, written literally here.
// The WrittenConfig: berth.yaml as the user writes it, as a zod schema. It checks shapes and leaf
// formats (durations, sizes, signals, ports) and carries the descriptions and defaults that the
// JSON Schema export shows in editors. It transforms nothing: normalize.ts turns a valid
// WrittenConfig into a Config, and rules.ts checks what spans several keys or services.
// Every check has its own message saying what would be valid; zod's defaults never reach users.
import { z } from "zod";
import { didYouMean } from "../lib/did-you-mean.js";
import { imageKey, imageOnlyKeys } from "./container-schema.js";
import { writtenProxySchema } from "./proxy-schema.js";
import { duration, expected, type Iss, oneOf, size } from "./schema-parts.js";
import { normalizeSignal, SIGNAL_NAMES } from "./signal-name.js";
import { writtenSiteSchema } from "./site-schema.js";

export const NO_SERVICES = "no services defined; add a services: map (see docs/config.md)";
// No /i flag: the pattern is copied into the JSON Schema, whose patterns have no flags.
export const SERVICE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;
/** An environment variable name, as ${NAME} can refer to it. */
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const PORT_AUTO = /^[Aa][Uu][Tt][Oo]$/;
export const RESTART_MODES = ["always", "on-failure", "never"] as const;

const signalError = (iss: Iss) => {
  if (typeof iss.input !== "string") return expected("a signal name like SIGTERM, TERM or term")(iss);
  const hint = didYouMean(iss.input.toUpperCase().replace(/^(?!SIG)/, "SIG"), SIGNAL_NAMES);
  return `unknown signal ${JSON.stringify(iss.input)}; ${hint ? `did you mean ${hint}?` : "expected a name like SIGTERM, SIGINT or SIGQUIT"}`;
};
const signal = z
  .string({ error: signalError })
  .refine((s) => normalizeSignal(s) !== undefined, { error: signalError })
  .meta({ description: "A signal name: SIGTERM, TERM or term.", examples: ["SIGTERM", "SIGINT", "SIGQUIT"] });

const commandError = expected("a command line string, or a list of words");
const commandWords = z
  .union(
    [
      z.string({ error: commandError }),
      z
        .array(z.string({ error: expected("a string") }), { error: commandError })
        .min(1, { error: "expected at least one word: the program to run" }),
    ],
    { error: commandError },
  )
  .meta({
    description:
      "The program and its arguments: a string split like a shell splits words (never run through a shell), or a list of words. ${VAR} is expanded; $$ is a literal $.",
  });

const readyError = expected('{ tcp: true }, { http: "/path" }, { exec: … }, false or none');
const ready = z
  .union(
    [
      z.strictObject(
        {
          tcp: z
            .literal(true, { error: expected("true (to turn probing off, write ready: none)") })
            .optional(),
          http: z
            .string({ error: expected('a path like "/healthz"') })
            .startsWith("/", { error: expected('a path starting with "/", like "/healthz"') })
            .optional()
            .meta({ description: "Ready when GET <path> on the instance's port answers 2xx or 3xx." }),
          exec: commandWords.optional().meta({ description: "Ready when this command exits 0." }),
          interval: duration("Time between probes; at least 1ms.", "100ms").optional(),
          timeout: duration("How long one probe may take; at least 1ms.", "1s").optional(),
        },
        { error: readyError },
      ),
      z.literal(false, { error: readyError }),
      z.literal("none", { error: readyError }),
    ],
    { error: readyError },
  )
  .meta({
    description: "When an instance counts as ready. Default: tcp if the service has a port, else none.",
  });

const stopLadderStep = z.strictObject(
  {
    signal,
    after: duration(
      "Time since the stop began (not since the previous step); optional on the first step.",
    ).optional(),
  },
  { error: expected('a step like { signal: SIGTERM, after: "5s" }') },
);
const stopError = expected('"apache", { signal, timeout } or a list of { signal, after } steps');
const stop = z
  .union(
    [
      z.strictObject(
        {
          signal: signal.optional().meta({ default: "SIGTERM" }),
          timeout: duration("Time to wait after the signal before SIGKILL.", "10s").optional(),
        },
        { error: stopError },
      ),
      z
        .array(stopLadderStep, { error: stopError })
        .min(1, { error: 'expected at least one step, ending with { signal: SIGKILL, after: "…" }' }),
      z.literal("apache", { error: stopError }),
    ],
    { error: stopError },
  )
  .meta({
    description: "How instances are stopped: a signal then SIGKILL after a timeout, a ladder, or a preset.",
  });

const logs = z
  .union([
    z.strictObject(
      {
        file: z
          .boolean({ error: expected("true or false") })
          .optional()
          .meta({ default: true }),
        max_size: size("Rotate the live file when it reaches this size.", "10MiB").optional(),
        keep: z
          .int({ error: expected("a whole number ≥ 0") })
          .min(0, { error: expected("a whole number ≥ 0") })
          .optional()
          .meta({ description: "Rotated files kept besides the live one.", default: 3 }),
      },
      { error: expected("{ file, max_size, keep } or false") },
    ),
    z.literal(false, { error: expected("{ file, max_size, keep } or false") }),
  ])
  .meta({ description: "Log files under state_dir; false writes none." });

const envValueError = expected('a string, number or boolean (for an empty value write "")');
const portError = expected("a port number from 1 to 65535, or auto");

export const writtenServiceSchema = z
  .strictObject(
    {
      // Optional here: a service needs command: or image: (or both), which normalize.ts checks.
      command: commandWords.optional(),
      ...imageKey,
      cwd: z
        .string({ error: expected("a directory path") })
        .min(1, { error: expected("a directory path") })
        .optional()
        .meta({
          description:
            "Working directory, relative to the config file's directory (the default). Not for image services.",
        }),
      env: z
        .record(
          z.string().regex(ENV_NAME, {
            error: (iss) =>
              `${JSON.stringify(iss.input)} is not a variable name: names use letters, digits and _, and do not start with a digit`,
          }),
          z.union([z.string(), z.number(), z.boolean()], { error: envValueError }),
          { error: expected("a map of NAME: value") },
        )
        .optional()
        .meta({ description: "Environment variables added to berth's own; ${VAR} is expanded." }),
      replicas: z
        .int({ error: expected("a whole number ≥ 1") })
        .min(1, { error: expected("a whole number ≥ 1") })
        .optional()
        .meta({ default: 1 }),
      port: z
        .union(
          [
            z.int({ error: portError }).min(1, { error: portError }).max(65535, { error: portError }),
            // Any case, like signals and sizes: auto, AUTO, Auto.
            z.string({ error: portError }).regex(PORT_AUTO, { error: portError }),
          ],
          { error: portError },
        )
        .optional()
        .meta({
          description:
            "The port the service listens on, or auto: a free port given as $PORT. For an image service, the port inside the container (a number).",
        }),
      depends_on: z
        .array(z.string({ error: expected("a service name") }), {
          error: expected("a list of service names"),
        })
        .optional()
        .meta({ description: "Services started (and ready) before this one, and stopped after it." }),
      ready: ready.optional(),
      restart: z
        .enum(RESTART_MODES, { error: oneOf(RESTART_MODES) })
        .optional()
        .meta({ default: "always" }),
      backoff: z
        .strictObject(
          {
            initial: duration("First wait before a restart; at least 1ms.", "100ms").optional(),
            max: duration("Longest wait; the wait doubles up to this.", "30s").optional(),
            reset_after: duration("A run this long resets the wait to initial.", "10s").optional(),
          },
          { error: expected("{ initial, max, reset_after }") },
        )
        .optional(),
      stop: stop.optional(),
      drain_timeout: duration(
        "On a stop, how long an instance out of the proxy's rotation may finish the requests it is serving before its stop ladder starts; 0 does not wait.",
        "10s",
      ).optional(),
      logs: logs.optional(),
      ...imageOnlyKeys,
    },
    { error: expected("a map of settings, with at least command: or image:") },
  )
  .meta({
    description: "One service: a command, or a container of an image, that berth runs and keeps running.",
  });

export const writtenConfigSchema = z
  .strictObject(
    {
      services: z
        .record(
          z.string().regex(SERVICE_NAME, {
            error: "a service name uses letters, digits, _ and -, and starts with a letter or digit",
          }),
          writtenServiceSchema,
          { error: (iss) => (iss.input == null ? NO_SERVICES : "expected a map of service name → settings") },
        )
        .refine((services) => Object.keys(services).length > 0, { error: NO_SERVICES }),
      state_dir: z
        .string({ error: expected("a directory path") })
        .min(1, { error: expected("a directory path") })
        .optional()
        .meta({
          description:
            "Where berth keeps its log files and run.json (the record of the running berth); relative to the config file.",
          default: ".berth",
        }),
      sites: z
        .array(writtenSiteSchema, { error: expected("a list of sites") })
        .optional()
        .meta({ description: "The proxy's sites: where it listens, which hosts, and where each path goes." }),
      proxy: writtenProxySchema.optional(),
    },
    { error: expected("a map with a services: key") },
  )
  .meta({ title: "berth.yaml", description: "berth configuration: services to run and sites to serve." });

export type WrittenConfig = z.input<typeof writtenConfigSchema>;
export type WrittenService = z.input<typeof writtenServiceSchema>;
