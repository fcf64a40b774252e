// The keys of an image service (a container), as the user writes them. They sit beside the
// keys every service has (schema.ts); container.ts normalizes them and refuses them on a
// service without `image:`.
import { z } from "zod";
import { expected, oneOf } from "./schema-parts.js";

export const PULL_POLICIES = ["never", "missing"] as const;
/** The keys only an image service may have, in written order. */
export const IMAGE_ONLY_KEYS = [
  "publish",
  "volumes",
  "network",
  "user",
  "init",
  "pull",
  "labels",
  "keep",
  "adopt",
] as const;

const imageError = expected('an image name like "nginx:1.27" or "my-site:latest"');
const publishError = expected("a port number from 1 to 65535, or auto");
const userError = expected('a user like "1000", "1000:1000" or "www-data"');
const labelValueError = expected('a string, number or boolean (for an empty value write "")');
const boolean = (description: string, fallback: boolean) =>
  z
    .boolean({ error: expected("true or false") })
    .optional()
    .meta({ description, default: fallback });

export const imageKey = {
  image: z
    .string({ error: imageError })
    .regex(/^[^\s$]+$/, { error: imageError })
    .optional()
    .meta({
      description:
        "Run the service as a container of this image, through the Docker Engine API (never the docker CLI). command: then replaces the image's own command, and port: is the port inside the container.",
      examples: ["nginx:1.27", "my-site:latest"],
    }),
};

/** Listed after the keys every service has, so "expected one of" reads common keys first. */
export const imageOnlyKeys = {
  publish: z
    .union(
      [
        z.int({ error: publishError }).min(1, { error: publishError }).max(65535, { error: publishError }),
        z.string({ error: publishError }).regex(/^[Aa][Uu][Tt][Oo]$/, { error: publishError }),
      ],
      { error: publishError },
    )
    .optional()
    .meta({
      description:
        "The host port, on 127.0.0.1 only, that the container's port: is published on; auto (the default) lets berth pick a free one.",
      default: "auto",
    }),
  volumes: z
    .array(z.string({ error: expected('"host-path:/inside" or "volume-name:/inside", with :ro optional') }), {
      error: expected("a list of volumes"),
    })
    .optional()
    .meta({
      description:
        'Mounts: "./data:/var/lib/data" (a path relative to berth.yaml or absolute) or "name:/inside" (a named volume); ":ro" mounts read-only.',
    }),
  network: z
    .string({ error: expected("a network name") })
    .min(1, { error: expected("a network name") })
    .optional()
    .meta({ description: "The Docker network the container joins. Default: the engine's default bridge." }),
  user: z
    .union(
      [
        z.string({ error: userError }).min(1, { error: userError }),
        z.int({ error: userError }).min(0, { error: userError }),
      ],
      { error: userError },
    )
    .optional()
    .meta({ description: "The user (and group) the container's command runs as. Default: the image's." }),
  init: boolean(
    "Run the engine's init (tini) as PID 1, so the app gets signals and its orphans are reaped. Default true.",
    true,
  ),
  pull: z
    .enum(PULL_POLICIES, { error: oneOf(PULL_POLICIES) })
    .optional()
    .meta({
      description:
        "missing: pull the image when the engine does not have it at a start; never: fail instead (the image must be built or loaded).",
      default: "missing",
    }),
  labels: z
    .record(
      z.string().min(1, { error: "a label name cannot be empty" }),
      z.union([z.string(), z.number(), z.boolean()], { error: labelValueError }),
      { error: expected("a map of label: value") },
    )
    .optional()
    .meta({
      description:
        "Labels added to the container, besides berth's own (berth.project, berth.service, …): names beginning with \"berth.\" are berth's and cannot be set here.",
    }),
  keep: boolean(
    "Keep a container that has exited (for docker inspect / docker logs) instead of removing it.",
    false,
  ),
  adopt: boolean(
    "On berth up, take over a container an earlier berth left running when nothing about it changed, instead of replacing it.",
    false,
  ),
};
