// An image service's keys as written → its ContainerConfig, and the checks that tell the two
// kinds of service apart: a service runs command: (a process) or image: (a container, whose
// command: only replaces the image's own), and each kind refuses the keys of the other.
import { isAbsolute, resolve } from "node:path";
import { LABEL_PREFIX } from "../docker/berth-labels.js";
import type { ContainerConfig, PortSpec } from "./config.js";
import { IMAGE_ONLY_KEYS } from "./container-schema.js";
import { error, type PathIssue, type PathSegment } from "./issue.js";
import type { WrittenService } from "./schema.js";

const NAMED_VOLUME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
/** Network modes in which the container shares a network stack, so nothing can be published. */
const UNPUBLISHABLE_NETWORK = /^(host|none|container:.*)$/;

type Service = Partial<WrittenService>;

/**
 * The problems with which keys a service has: neither command: nor image:, image-only keys
 * without image:, cwd: with it. `raw` is the service as written (keys that failed the schema
 * included); `suggested` whether an unknown key of it was taken for command or image (that
 * one "did you mean" says it all).
 */
export function checkServiceKind(
  raw: Record<string, unknown>,
  suggested: (key: string) => boolean,
  at: (...path: PathSegment[]) => PathSegment[],
  issues: PathIssue[],
): void {
  const image = Object.hasOwn(raw, "image");
  if (!image && !Object.hasOwn(raw, "command") && !suggested("command") && !suggested("image")) {
    issues.push(
      error(
        at(),
        "neither command: nor image:; write the program to run (command: node server.js) or the image of a container to run (image: nginx:1.27)",
        "key",
      ),
    );
  }
  if (!image) {
    for (const key of IMAGE_ONLY_KEYS) {
      if (Object.hasOwn(raw, key))
        issues.push(
          error(at(key), `${key}: is only for image: services (containers); remove it, or add image:`),
        );
    }
  } else if (Object.hasOwn(raw, "cwd")) {
    issues.push(
      error(
        at("cwd"),
        "cwd: is only for command: services; a container starts in its image's working directory (WORKDIR)",
      ),
    );
  }
}

/** An image service's port: the port inside the container, always a number. */
export function imagePort(w: Service, at: PathSegment[], issues: PathIssue[]): PortSpec | undefined {
  if (w.port === undefined) return { kind: "none" };
  if (typeof w.port === "number") return { kind: "fixed", port: w.port };
  issues.push(
    error(
      at,
      "an image service's port is the port its app listens on inside the container, a number like 80; berth picks the host port itself (see publish:)",
    ),
  );
  return undefined;
}

/** The ContainerConfig, with every broken key left at its default (and added to `broken`). */
export function normalizeContainer(
  w: Service,
  port: PortSpec,
  dir: string,
  broken: Set<string>,
  at: (...path: PathSegment[]) => PathSegment[],
  issues: PathIssue[],
): ContainerConfig {
  let publish: PortSpec = { kind: "none" };
  if (port.kind !== "none") {
    publish = typeof w.publish === "number" ? { kind: "fixed", port: w.publish } : { kind: "auto" };
  } else if (w.publish !== undefined && !broken.has("port")) {
    issues.push(
      error(
        at("publish"),
        "publish: needs port:, the port inside the container that it publishes; add port: (like port: 80)",
      ),
    );
    broken.add("publish");
  }

  const volumes: string[] = [];
  (w.volumes ?? []).forEach((volume, i) => {
    const bind = normalizeVolume(volume, dir);
    if (typeof bind === "string") volumes.push(bind);
    else {
      issues.push(error(at("volumes", i), bind.problem));
      broken.add("volumes");
    }
  });

  if (w.network !== undefined && port.kind !== "none" && UNPUBLISHABLE_NETWORK.test(w.network)) {
    issues.push(
      error(
        at("network"),
        `a container on network "${w.network}" cannot have its port published on 127.0.0.1, so the proxy could not reach it; use another network, or remove port:`,
      ),
    );
    broken.add("network");
  }

  const labels: Record<string, string> = {};
  for (const [key, value] of Object.entries(w.labels ?? {})) {
    // Every name under berth.: those berth sets now, and any it may set later.
    if (key.startsWith(LABEL_PREFIX)) {
      issues.push(
        error(
          at("labels", key),
          `${key} begins with "${LABEL_PREFIX}", which berth keeps for its own labels (they mark the containers it owns); use another label name`,
        ),
      );
      broken.add("labels");
    } else labels[key] = String(value);
  }

  return {
    image: w.image ?? "", // a broken image: the schema has said why
    publish,
    volumes,
    ...(w.network !== undefined && !broken.has("network") && { network: w.network }),
    ...(w.user !== undefined && { user: String(w.user) }),
    init: w.init ?? true,
    pull: w.pull ?? "missing",
    labels,
    keep: w.keep ?? false,
    adopt: w.adopt ?? false,
  };
}

/**
 * "./data:/var/lib/data:ro" → "/abs/dir/data:/var/lib/data:ro"; a named volume stays as it is.
 * The engine's own form, so the config hash changes only when the mount does.
 */
export function normalizeVolume(written: string, dir: string): string | { problem: string } {
  const parts = written.split(":");
  const example =
    "like ./data:/var/lib/data (a directory beside berth.yaml) or data:/var/lib/data (a named volume)";
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => p === "")) {
    return { problem: `expected "source:/path/inside" with an optional ":ro" or ":rw", ${example}` };
  }
  const [source, inside, mode] = parts as [string, string, string | undefined];
  if (!isAbsolute(inside)) {
    return { problem: `the path inside the container must be absolute ("${inside}" is not), ${example}` };
  }
  if (mode !== undefined && mode !== "ro" && mode !== "rw") {
    return { problem: `unknown mount mode "${mode}"; expected ro (read-only) or rw` };
  }
  const isPath = source.startsWith("/") || source.startsWith(".") || source.startsWith("~");
  if (source.startsWith("~")) {
    return { problem: `"~" is not expanded; write the host path in full, or relative to berth.yaml` };
  }
  if (!isPath && !NAMED_VOLUME.test(source)) {
    return {
      problem: `"${source}" is neither a path (start it with ./ or /) nor a volume name (letters, digits, _ . -)`,
    };
  }
  const host = isPath ? resolve(dir, source) : source;
  return [host, inside, ...(mode ? [mode] : [])].join(":");
}
