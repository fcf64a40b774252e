// Tests against a real Docker engine: whether one answers (a test is skipped when none does,
// and fails instead under BERTH_REQUIRE_DOCKER=1, as CI sets), the test images built from
// test/fixtures/images/<name>/ with the host's static busybox, and per-test labels whose
// containers are removed after the test, passed or failed.

import assert from "node:assert/strict";
import { createHash, randomUUID } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { type TestContext, test } from "node:test";
import { removeContainerIfPresent } from "../../src/docker/containers.js";
import { EngineClient } from "../../src/docker/engine-client.js";
import { EngineConnectionError } from "../../src/docker/engine-error.js";
import { type TarEntry, writeTar } from "../../src/docker/tar.js";
import { FIXTURES } from "./berth-process.js";

export const IMAGES = join(FIXTURES, "images");
const BUSYBOX = "/bin/busybox";
/**
 * Every container a test creates carries it, so a stray one is easy to find:
 * `docker ps -a -f label=berth-test`. Not under "berth.": those names are berth's own.
 */
export const TEST_LABEL = "berth-test";
/** One value per test, for that test's cleanup. */
export const CASE_LABEL = "berth-test.case";

export type DockerCheck = { available: true; engine: EngineClient } | { available: false; reason: string };

let check: Promise<DockerCheck> | undefined;
let skipAnnounced = false;

/** Whether an engine answers (asked once per test process); the reason is the line a skipped test prints. */
export function dockerAvailable(): Promise<DockerCheck> {
  check ??= (async (): Promise<DockerCheck> => {
    let engine: EngineClient;
    try {
      engine = new EngineClient({ timeoutMs: 5_000 });
    } catch (error) {
      return { available: false, reason: `no usable DOCKER_HOST: ${(error as Error).message}` };
    }
    try {
      await engine.ping();
      return { available: true, engine };
    } catch (error) {
      engine.close();
      const why =
        error instanceof EngineConnectionError
          ? (error.code ?? error.failure)
          : `it answered: ${(error as Error).message}`;
      return {
        available: false,
        reason: `no Docker engine at ${engine.where} [${why}] (start one with: sudo bash scripts/ci/start-docker.sh)`,
      };
    }
  })();
  return check;
}

/** Whether an absent engine fails the Docker tests instead of skipping them (CI sets it). */
export function dockerRequired(): boolean {
  return process.env.BERTH_REQUIRE_DOCKER === "1";
}

export interface DockerTestContext {
  t: TestContext;
  engine: EngineClient;
  /** Labels for every container of this test: its cleanup removes each container that has them. */
  labels: Record<string, string>;
  /** A container name unique to this test: `berth-test-<suffix>-<id>`. */
  name(suffix: string): string;
}

/**
 * A test that needs the engine. Without one it is skipped with a `# SKIP no Docker engine at …`
 * line, or, under BERTH_REQUIRE_DOCKER=1, fails with that message. Afterwards, whatever the
 * outcome, the containers carrying its labels are removed.
 */
export function dockerTest(
  name: string,
  body: (ctx: DockerTestContext) => Promise<void>,
  options: { timeout?: number } = {},
): void {
  test(name, { timeout: options.timeout ?? 60_000 }, async (t) => {
    const docker = await dockerAvailable();
    if (!docker.available) {
      if (dockerRequired()) assert.fail(`BERTH_REQUIRE_DOCKER=1, and ${docker.reason}`);
      // Once per test file (one process each), the line that says why its Docker tests were skipped.
      if (!skipAnnounced) console.log(`# SKIP ${docker.reason}`);
      skipAnnounced = true;
      t.skip(docker.reason);
      return;
    }
    const id = randomUUID().slice(0, 8);
    const labels = { [TEST_LABEL]: "1", [CASE_LABEL]: id };
    t.after(() => removeContainers(docker.engine, { [CASE_LABEL]: id }));
    await body({ t, engine: docker.engine, labels, name: (suffix) => `berth-test-${suffix}-${id}` });
  });
}

/** Removes (force) every container, running or not, that has all of `labels`; resolves with their ids. */
export async function removeContainers(
  engine: EngineClient,
  labels: Record<string, string>,
): Promise<string[]> {
  const found = await engine.listContainers({ all: true, labels });
  await Promise.all(found.map((c) => removeContainerIfPresent(engine, c.Id)));
  return found.map((c) => c.Id);
}

const built = new Map<string, Promise<string>>();

/**
 * The image of test/fixtures/images/<name>/ (its Dockerfile and files, plus the host's
 * /bin/busybox as ./busybox), tagged `berth-test/<name>:<hash of the context>`; built once per
 * test process, and not at all when the engine already has that tag.
 */
export function buildTestImage(engine: EngineClient, name: string): Promise<string> {
  let image = built.get(name);
  if (image === undefined) {
    image = buildOnce(engine, name);
    built.set(name, image);
    image.catch(() => built.delete(name));
  }
  return image;
}

async function buildOnce(engine: EngineClient, name: string): Promise<string> {
  const dir = join(IMAGES, name);
  let busybox: Buffer;
  try {
    busybox = readFileSync(BUSYBOX);
  } catch (error) {
    throw new Error(
      `building test image ${name}: reading ${BUSYBOX} (${(error as NodeJS.ErrnoException).code}); ` +
        "install Debian's busybox-static (sudo bash scripts/ci/start-docker.sh does)",
    );
  }
  const entries: TarEntry[] = [
    ...filesOf(dir, ""),
    { type: "file", path: "busybox", content: busybox, mode: 0o755 },
  ];
  // The image's label is part of what it is built from: a renamed label builds it again.
  const hash = createHash("sha256").update(`label ${TEST_LABEL}\n`);
  for (const entry of entries) {
    hash.update(`${entry.type} ${entry.path} ${entry.mode ?? ""}\n`);
    if (entry.type === "file") hash.update(entry.content);
  }
  const tag = `berth-test/${name}:${hash.digest("hex").slice(0, 16)}`;
  if ((await engine.imageInspect(tag)) !== undefined) return tag;
  await engine.buildImage(writeTar(entries), tag, { labels: { [TEST_LABEL]: "1" } });
  return tag;
}

/**
 * The files under `dir` as tar entries, sorted. Modes are 0755 or 0644 by the exec bit alone (all
 * git keeps, and what a CGI script needs), so a clone's umask does not change the hash.
 */
function filesOf(dir: string, prefix: string): TarEntry[] {
  const entries: TarEntry[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
    a.name.localeCompare(b.name),
  )) {
    const path = join(dir, entry.name);
    const inArchive = prefix === "" ? entry.name : `${prefix}/${entry.name}`;
    const mode = statSync(path).mode & 0o100 ? 0o755 : 0o644;
    if (entry.isDirectory()) {
      entries.push({ type: "directory", path: inArchive, mode: 0o755 });
      entries.push(...filesOf(path, inArchive));
    } else if (entry.isFile()) {
      entries.push({ type: "file", path: inArchive, content: readFileSync(path), mode });
    }
  }
  return entries;
}

/** Resolves once `condition` resolves true; fails after `timeoutMs` saying what was awaited and what was last seen. */
export async function until<T>(
  what: string,
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  let last: T | undefined;
  let lastError: unknown;
  for (;;) {
    try {
      last = await probe();
      lastError = undefined;
      if (done(last)) return last;
    } catch (error) {
      lastError = error;
    }
    if (performance.now() > deadline) {
      const seen = lastError === undefined ? JSON.stringify(last) : String(lastError);
      throw new Error(`not within ${timeoutMs} ms: ${what}; last seen: ${seen?.slice(0, 500)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
