// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} is berth's own syntax, written literally here.
// Image services in berth.yaml: the keys, their defaults, and every error about which kind of
// service may have which key. Through parseConfigText, as a user meets them.
import assert from "node:assert/strict";
import { test } from "node:test";
import { normalizeVolume } from "./container.js";
import { parseConfigText } from "./load.js";

function load(yaml: string, env: Record<string, string> = {}) {
  return parseConfigText(yaml, "/srv/app/berth.yaml", { env, checkFiles: false });
}

function problems(yaml: string): string[] {
  return load(yaml).issues.map((i) => `${i.severity === "warning" ? "warning " : ""}${i.path}: ${i.message}`);
}

test("an image service with only image: gets every default", () => {
  const { config, issues } = load("services:\n  web: { image: nginx:1.27 }\n");
  assert.deepEqual(issues, []);
  const web = config!.services[0]!;
  assert.deepEqual(web.command, [], "the image's own command");
  assert.deepEqual(web.port, { kind: "none" });
  assert.deepEqual(web.ready, { kind: "none" });
  assert.deepEqual(web.container, {
    image: "nginx:1.27",
    publish: { kind: "none" },
    volumes: [],
    init: true,
    pull: "missing",
    labels: {},
    keep: false,
    adopt: false,
  });
});

test("every image key, normalized: port inside, publish on the host, volumes absolute, labels and user as strings", () => {
  const { config, issues } = load(`
services:
  web:
    image: my-site:latest
    command: httpd -f -p \${PORT}
    port: 80
    publish: 8002
    volumes: ["./www:/www:ro", "data:/var/lib/data", "/etc/hosts:/etc/hosts"]
    network: backend
    user: 1000
    init: false
    pull: never
    labels: { team: web, tier: 1 }
    keep: true
    adopt: true
`);
  assert.deepEqual(issues, []);
  const web = config!.services[0]!;
  assert.deepEqual(web.command, ["httpd", "-f", "-p", "${PORT}"]);
  assert.deepEqual(web.port, { kind: "fixed", port: 80 });
  assert.deepEqual(
    web.ready,
    { kind: "tcp", intervalMs: 100, timeoutMs: 1_000 },
    "a port: probed as for processes",
  );
  assert.deepEqual(web.container, {
    image: "my-site:latest",
    publish: { kind: "fixed", port: 8002 },
    volumes: ["/srv/app/www:/www:ro", "data:/var/lib/data", "/etc/hosts:/etc/hosts"],
    network: "backend",
    user: "1000",
    init: false,
    pull: "never",
    labels: { team: "web", tier: "1" },
    keep: true,
    adopt: true,
  });
});

test("publish defaults to auto when there is a port; publish: AUTO in any case", () => {
  const { config } = load(
    "services:\n  a: { image: x, port: 80 }\n  b: { image: x, port: 80, publish: AUTO }\n",
  );
  assert.deepEqual(
    config!.services.map((s) => s.container!.publish),
    [{ kind: "auto" }, { kind: "auto" }],
  );
});

test("a service needs command: or image:; a misspelling of either is one issue, not two", () => {
  assert.deepEqual(problems("services:\n  web: { port: 80 }\n"), [
    "services.web: neither command: nor image:; write the program to run (command: node server.js) or the image of a container to run (image: nginx:1.27)",
  ]);
  assert.deepEqual(problems("services:\n  web: { imgae: nginx }\n"), [
    'services.web.imgae: unknown key; did you mean "image"?',
  ]);
  assert.deepEqual(problems("services:\n  web: { comand: x }\n"), [
    'services.web.comand: unknown key; did you mean "command"?',
  ]);
});

test("image keys on a command service, and cwd or port: auto on an image service, are errors", () => {
  assert.deepEqual(problems("services:\n  web: { command: x, publish: 80, adopt: true }\n"), [
    "services.web.publish: publish: is only for image: services (containers); remove it, or add image:",
    "services.web.adopt: adopt: is only for image: services (containers); remove it, or add image:",
  ]);
  assert.deepEqual(problems("services:\n  web: { image: x, cwd: /srv, port: auto }\n"), [
    "services.web.cwd: cwd: is only for command: services; a container starts in its image's working directory (WORKDIR)",
    "services.web.port: an image service's port is the port its app listens on inside the container, a number like 80; berth picks the host port itself (see publish:)",
  ]);
});

test("publish without port, a network that cannot publish, berth's own labels", () => {
  assert.deepEqual(problems("services:\n  web: { image: x, publish: 8080 }\n"), [
    "services.web.publish: publish: needs port:, the port inside the container that it publishes; add port: (like port: 80)",
  ]);
  assert.deepEqual(problems("services:\n  web: { image: x, port: 80, network: host }\n"), [
    'services.web.network: a container on network "host" cannot have its port published on 127.0.0.1, so the proxy could not reach it; use another network, or remove port:',
  ]);
  assert.deepEqual(
    problems(
      'services:\n  web: { image: x, labels: { berth.service: x, "berth.mine": y, "berthing": z, "com.example.berth.x": w } }\n',
    ),
    [
      'services.web.labels["berth.service"]: berth.service begins with "berth.", which berth keeps for its own labels (they mark the containers it owns); use another label name',
      'services.web.labels["berth.mine"]: berth.mine begins with "berth.", which berth keeps for its own labels (they mark the containers it owns); use another label name',
    ],
  );
});

test("wrong types and words: each with what would be valid", () => {
  assert.deepEqual(
    problems(
      "services:\n  web: { image: 'a b', pull: sometime, init: yes, keep: 1, user: '', volumes: data }\n",
    ),
    [
      'services.web.image: expected an image name like "nginx:1.27" or "my-site:latest"',
      'services.web.pull: expected "never" or "missing"',
      "services.web.init: expected true or false",
      "services.web.keep: expected true or false",
      'services.web.user: expected a user like "1000", "1000:1000" or "www-data"',
      "services.web.volumes: expected a list of volumes",
    ],
  );
});

test("host ports: an image's port: is inside (any number of services may use 80), its fixed publish: is on the host", () => {
  assert.deepEqual(
    problems(
      "services:\n  a: { image: x, port: 80, replicas: 3 }\n  b: { image: y, port: 80 }\n  c: { command: z, port: 80 }\n",
    ),
    [],
  );
  assert.deepEqual(
    problems(
      "services:\n  a: { command: z, port: 8080 }\n  b: { image: y, port: 80, publish: 8080, replicas: 2 }\n",
    ),
    [
      "services.b.publish: port 8080 is fixed, so 2 replicas cannot all listen on it; use publish: auto, or replicas: 1",
      "services.b.publish: port 8080 is already used by service a; use another port, or publish: auto",
    ],
  );
});

test("${PORT} in an image service's command is the port inside; its env may set PORT; without a port it is an error", () => {
  assert.deepEqual(
    problems("services:\n  web: { image: x, port: 80, command: 'run --port=${PORT}', env: { PORT: 80 } }\n"),
    [],
  );
  assert.deepEqual(problems("services:\n  web: { image: x, command: 'run --port=${PORT}' }\n"), [
    "services.web.command: uses ${PORT} but the service has no port; add port: (the port inside the container, like port: 80)",
  ]);
});

test("a route to an image service without a port says to add the port inside", () => {
  const out = problems(
    "services:\n  web: { image: x }\nsites:\n  - listen: 8080\n    routes: [{ path: /, service: web }]\n",
  );
  assert.deepEqual(out, [
    "sites[0].routes[0].service: service web has no port, so the proxy cannot reach it; add port: (the port its app listens on inside the container, like port: 80) to services.web",
  ]);
});

test("a command that runs docker run (or podman run, docker container run) is warned about, pointing to image:", () => {
  const warning =
    "runs a container through the docker CLI: stopping the client does not stop the container (it keeps running, with its port taken); use image: instead, and berth runs the container itself (docs/config.md#instead-of-docker-run)";
  assert.deepEqual(problems("services:\n  legacy: { command: docker run --rm -p 8002:80 my-site }\n"), [
    `warning services.legacy.command: ${warning}`,
  ]);
  assert.deepEqual(
    problems("services:\n  legacy: { command: [/usr/bin/docker, container, run, my-site] }\n"),
    [`warning services.legacy.command: ${warning}`],
  );
  assert.equal(problems("services:\n  legacy: { command: podman run x }\n").length, 1);
  for (const command of [
    "sudo docker run --rm my-site",
    "sudo -u deploy -E docker run my-site",
    "docker -H unix:///run/docker.sock run my-site",
    "docker --host=tcp://127.0.0.1:2375 run my-site",
    "docker --context remote run my-site",
    "docker -D --log-level debug container run my-site",
    "env DOCKER_HOST=unix:///x.sock docker run my-site",
    "[sh, -c, 'docker run --rm -p 8002:80 my-site']",
    "[/bin/bash, -ec, 'cd /srv && exec docker run my-site']",
    "[sh, -c, 'sudo docker -H x run my-site']",
  ]) {
    assert.deepEqual(
      problems(`services:\n  legacy: { command: ${command} }\n`).map((p) =>
        p.replace(/the (docker|podman) CLI/, "the docker CLI"),
      ),
      [`warning services.legacy.command: ${warning}`],
      command,
    );
  }
  assert.deepEqual(problems("services:\n  ok: { command: [sh, -c, 'docker ps; echo run'] }\n"), []);
  assert.deepEqual(problems("services:\n  ok: { command: sudo docker logs -f run }\n"), []);
  assert.deepEqual(problems("services:\n  ok: { command: docker ps }\n"), []);
  assert.deepEqual(
    problems("services:\n  ok: { image: x, command: docker run y }\n"),
    [],
    "inside a container: its business",
  );
});

test("volumes: paths resolved against berth.yaml's directory, names kept, mistakes explained", () => {
  assert.equal(normalizeVolume("./a:/b", "/srv"), "/srv/a:/b");
  assert.equal(normalizeVolume("../a:/b:rw", "/srv/app"), "/srv/a:/b:rw");
  assert.equal(normalizeVolume("cache:/b:ro", "/srv"), "cache:/b:ro");
  const problem = (v: string) => (normalizeVolume(v, "/srv") as { problem: string }).problem;
  assert.match(problem("data"), /^expected "source:\/path\/inside"/);
  assert.match(problem("a:relative"), /must be absolute \("relative" is not\)/);
  assert.match(problem("a:/b:rx"), /unknown mount mode "rx"; expected ro/);
  assert.match(problem("~/x:/b"), /"~" is not expanded/);
  assert.match(problem("bad name:/b"), /is neither a path \(start it with \.\/ or \/\) nor a volume name/);
});
