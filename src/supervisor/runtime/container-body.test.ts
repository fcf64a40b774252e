// What berth asks the engine to create, and the labels and config hash that mark it as berth's.
import assert from "node:assert/strict";
import { test } from "node:test";
import { LABEL, projectId } from "../../docker/berth-labels.js";
import { containerBody } from "./container-body.js";
import { configHash, containerLabels } from "./docker-labels.js";
import type { ContainerSpec } from "./runtime.js";

const spec: ContainerSpec = {
  image: "my-site:1",
  publish: { kind: "auto" },
  volumes: ["/srv/www:/www:ro"],
  network: "backend",
  user: "1000",
  init: true,
  pull: "missing",
  labels: { team: "web" },
  keep: false,
  adopt: false,
  command: ["httpd", "-f"],
  env: { A: "1", B: "two words" },
  port: 80,
  hostPort: 41234,
  stopSignal: "SIGQUIT",
  stopTimeoutS: 10,
};
const owner = { stateDir: "/srv/app/.berth", runId: "abc123", service: "web", instance: "web#2" };

test("the create body: published on 127.0.0.1 only, the ladder's first signal as StopSignal, the engine never restarts it", () => {
  const body = containerBody(spec, { x: "y" });
  assert.deepEqual(body, {
    Image: "my-site:1",
    Cmd: ["httpd", "-f"],
    Env: ["A=1", "B=two words"],
    Labels: { x: "y" },
    StopSignal: "SIGQUIT",
    StopTimeout: 10,
    User: "1000",
    ExposedPorts: { "80/tcp": {} },
    AttachStdout: false,
    AttachStderr: false,
    Tty: false,
    HostConfig: {
      Init: true,
      PortBindings: { "80/tcp": [{ HostIp: "127.0.0.1", HostPort: "41234" }] },
      Binds: ["/srv/www:/www:ro"],
      NetworkMode: "backend",
      RestartPolicy: { Name: "no" },
      AutoRemove: false,
    },
  });
});

test("no command, port, user, volumes or network: the image's and the engine's own", () => {
  const body = containerBody(
    {
      ...spec,
      command: [],
      port: undefined,
      hostPort: undefined,
      user: undefined,
      volumes: [],
      network: undefined,
      init: false,
    },
    {},
  );
  assert.equal(body.Cmd, undefined);
  assert.equal(body.User, undefined);
  assert.equal(body.ExposedPorts, undefined);
  assert.deepEqual(body.HostConfig, { Init: false, RestartPolicy: { Name: "no" }, AutoRemove: false });
});

test("labels: the user's, then berth's ownership (the project is the state dir's hash); keep marked", () => {
  const labels = containerLabels({ ...spec, keep: true }, owner, "h4sh");
  assert.deepEqual(labels, {
    team: "web",
    [LABEL.project]: projectId("/srv/app/.berth"),
    [LABEL.stateDir]: "/srv/app/.berth",
    [LABEL.service]: "web",
    [LABEL.instance]: "web#2",
    [LABEL.configHash]: "h4sh",
    [LABEL.run]: "abc123",
    [LABEL.keep]: "true",
  });
  assert.match(projectId("/a"), /^[0-9a-f]{16}$/);
  assert.notEqual(projectId("/a"), projectId("/b"));
  assert.equal(containerLabels(spec, owner, "h")[LABEL.keep], undefined);
});

test("the config hash: changes with the image id or any setting, not with a host port berth picked", () => {
  const base = configHash(spec, "sha256:1");
  assert.match(base, /^[0-9a-f]{16}$/);
  assert.equal(configHash({ ...spec, hostPort: 50000 }, "sha256:1"), base, "publish: auto picks any port");
  assert.equal(configHash({ ...spec, env: { B: "two words", A: "1" } }, "sha256:1"), base, "env order");
  assert.equal(
    configHash({ ...spec, adopt: true }, "sha256:1"),
    base,
    "adopt is about berth, not the container",
  );
  for (const changed of [
    { ...spec, env: { A: "2", B: "two words" } },
    { ...spec, command: ["httpd"] },
    { ...spec, publish: { kind: "fixed" as const, port: 8002 }, hostPort: 8002 },
    { ...spec, volumes: [] },
    { ...spec, init: false },
    { ...spec, stopSignal: "SIGTERM" as const },
    { ...spec, labels: {} },
  ]) {
    assert.notEqual(configHash(changed, "sha256:1"), base, JSON.stringify(changed));
  }
  assert.notEqual(configHash(spec, "sha256:2"), base, "a rebuilt image under the same tag");
});
