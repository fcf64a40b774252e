// Builds the example's site image, berth-example/site:latest, from ./site with the host's static
// busybox, through the Docker Engine API (berth's own client, from dist/: run `npm run build`
// first). No docker CLI needed. Run from anywhere: node examples/apache-replacement/build-image.mjs
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, "..", "..", "dist", "docker");
const TAG = process.argv[2] ?? "berth-example/site:latest";
const BUSYBOX = "/bin/busybox";

let EngineClient;
let writeTar;
try {
  ({ EngineClient } = await import(join(dist, "engine-client.js")));
  ({ writeTar } = await import(join(dist, "tar.js")));
} catch (error) {
  console.error(`loading berth's Docker client from ${dist}: ${error.message}; run \`npm run build\` first`);
  process.exit(1);
}

/** The files under `dir` as tar entries; a file with its owner's exec bit set stays executable. */
function filesOf(dir, prefix) {
  const entries = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    const inArchive = prefix === "" ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory()) {
      entries.push({ type: "directory", path: inArchive, mode: 0o755 });
      entries.push(...filesOf(path, inArchive));
    } else if (entry.isFile()) {
      const mode = statSync(path).mode & 0o100 ? 0o755 : 0o644;
      entries.push({ type: "file", path: inArchive, content: readFileSync(path), mode });
    }
  }
  return entries;
}

let busybox;
try {
  busybox = readFileSync(BUSYBOX);
} catch (error) {
  console.error(`reading ${BUSYBOX}: ${error.code}; install a static busybox (Debian: busybox-static)`);
  process.exit(1);
}

const context = writeTar([
  ...filesOf(join(here, "site"), ""),
  { type: "file", path: "busybox", content: busybox, mode: 0o755 },
]);
const engine = new EngineClient();
try {
  const { imageId } = await engine.buildImage(context, TAG, {
    onOutput: (text) => process.stdout.write(text),
  });
  console.log(`built ${TAG} (${imageId})`);
} catch (error) {
  console.error(error.message);
  process.exit(1);
}
