// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} is berth's own syntax, written literally here.
// Rules are checked through parseConfigText: they need normalized services, and the paths and
// messages they report are what matters.
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseConfigText } from "./load.js";

function problems(yaml: string, env: Record<string, string> = {}) {
  return parseConfigText(yaml, "/srv/berth.yaml", { env, checkFiles: false }).issues.map(
    (i) => `${i.severity === "warning" ? "warning " : ""}${i.path}: ${i.message}`,
  );
}

test("depends_on naming no service, with a suggestion", () => {
  assert.deepEqual(problems("services:\n  web: { command: x, depends_on: [dbb] }\n  db: { command: y }\n"), [
    'services.web.depends_on[0]: no service named "dbb"; did you mean "db"?',
  ]);
});

test("a dependency on a service with errors of its own is not also 'unknown'", () => {
  const out = problems(
    "services:\n  web: { command: x, depends_on: [db] }\n  db: { command: y, port: nope }\n",
  );
  assert.deepEqual(out, ["services.db.port: expected a port number from 1 to 65535, or auto"]);
});

test("self-dependency and cycles", () => {
  assert.deepEqual(problems("services:\n  web: { command: x, depends_on: [web] }\n"), [
    "services.web.depends_on[0]: web depends on itself; remove this entry",
  ]);
  const cycle = problems(
    "services:\n  a: { command: x, depends_on: [b] }\n  b: { command: x, depends_on: [a] }\n",
  );
  assert.equal(cycle.length, 1);
  assert.match(cycle[0]!, /^services\.a\.depends_on\[0\]: dependency cycle: a → b → a;/);
});

test("a fixed port with replicas, and a fixed port used twice", () => {
  assert.deepEqual(problems("services:\n  web: { command: x, port: 80, replicas: 2 }\n"), [
    "services.web.port: port 80 is fixed, so 2 replicas cannot all listen on it; use port: auto, or replicas: 1",
  ]);
  assert.deepEqual(problems("services:\n  a: { command: x, port: 80 }\n  b: { command: x, port: 80 }\n"), [
    "services.b.port: port 80 is already used by service a; use another port, or port: auto",
  ]);
  assert.deepEqual(
    problems("services:\n  a: { command: x, port: auto, replicas: 3 }\n  b: { command: x, port: auto }\n"),
    [],
  );
});

test("${PORT} needs a port, unless the service's env sets PORT itself", () => {
  assert.deepEqual(problems("services:\n  web: { command: 'x ${PORT}' }\n"), [
    "services.web.command: uses ${PORT} but the service has no port; add port: auto (or a fixed port)",
  ]);
  assert.deepEqual(problems("services:\n  web: { command: 'x ${PORT}', env: { PORT: 1 } }\n"), []);
  assert.deepEqual(problems("services:\n  web: { command: 'x ${PORT}', port: auto }\n"), []);
});

test("env.PORT beside port: is an error: berth sets PORT", () => {
  assert.deepEqual(problems("services:\n  web: { command: x, port: auto, env: { PORT: 1 } }\n"), [
    "services.web.env.PORT: berth sets PORT from port:; remove it here (or remove port: to set it yourself)",
  ]);
});

test("a ${VAR} nothing sets is a warning, and does not withhold the config", () => {
  const yaml = "services:\n  web: { command: 'x ${TOKEN} ${HOME} ${OWN}', env: { OWN: 1 } }\n";
  assert.deepEqual(problems(yaml, { HOME: "/h" }), [
    "warning services.web.command: ${TOKEN} is not set in this service's env or in berth's environment; the service will not start unless it is set when berth starts",
  ]);
  assert.ok(parseConfigText(yaml, "/srv/berth.yaml", { env: {}, checkFiles: false }).config);
});

test("tcp and http probes need a port", () => {
  assert.deepEqual(problems("services:\n  web: { command: x, ready: { tcp: true } }\n"), [
    "services.web.ready.tcp: a tcp probe needs a port to connect to; add port: auto (or the port the service listens on), or use ready: { exec: … }",
  ]);
  assert.deepEqual(
    problems("services:\n  web: { command: x, ready: { exec: 'check ${PORT}' }, port: 9 }\n"),
    [],
  );
});

test("port: auto is accepted in any case, like signals and sizes", () => {
  for (const written of ["auto", "AUTO", "Auto"]) {
    const { config, issues } = parseConfigText(
      `services:\n  web: { command: x, port: ${written} }\n`,
      "/srv/berth.yaml",
      { env: {}, checkFiles: false },
    );
    assert.deepEqual(issues, [], written);
    assert.deepEqual(config?.services[0]?.port, { kind: "auto" }, written);
  }
  assert.deepEqual(problems("services:\n  web: { command: x, port: automatic }\n"), [
    "services.web.port: expected a port number from 1 to 65535, or auto",
  ]);
});

test("env entries referring to each other in a circle are an error; naming itself is not", () => {
  assert.deepEqual(
    problems('services:\n  web:\n    command: x\n    env: { A: "${B}", B: "${A}", PATH: "/x:${PATH}" }\n', {
      PATH: "/usr/bin",
    }),
    [
      "services.web.env.A: variable cycle: env.A → env.B → env.A; none of them can be given a value: remove one of these references",
    ],
  );
});
