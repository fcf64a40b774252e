import assert from "node:assert/strict";
import { test } from "node:test";
import { DockerHostError, describeAddress, engineAddressFromEnv, parseDockerHost } from "./engine-address.js";

test("parseDockerHost: unset or empty is the default socket", () => {
  assert.deepEqual(parseDockerHost(undefined), { kind: "unix", socketPath: "/var/run/docker.sock" });
  assert.deepEqual(parseDockerHost(""), { kind: "unix", socketPath: "/var/run/docker.sock" });
  assert.deepEqual(engineAddressFromEnv({}), { kind: "unix", socketPath: "/var/run/docker.sock" });
});

test("parseDockerHost: unix:///path and tcp://host:port, IPv6 literals bare, tcp's default port 2375", () => {
  assert.deepEqual(parseDockerHost("unix:///run/user/1000/docker.sock"), {
    kind: "unix",
    socketPath: "/run/user/1000/docker.sock",
  });
  assert.deepEqual(parseDockerHost("tcp://127.0.0.1:2376"), { kind: "tcp", host: "127.0.0.1", port: 2376 });
  assert.deepEqual(parseDockerHost("tcp://docker.internal"), {
    kind: "tcp",
    host: "docker.internal",
    port: 2375,
  });
  assert.deepEqual(parseDockerHost("tcp://[::1]:2375"), { kind: "tcp", host: "::1", port: 2375 });
  assert.deepEqual(parseDockerHost(" tcp://localhost:1234/ "), {
    kind: "tcp",
    host: "localhost",
    port: 1234,
  });
});

test("parseDockerHost: what berth cannot use is refused, saying what would be valid", () => {
  const valid = /use unix:\/\/\/path\/to\/docker\.sock or tcp:\/\/host:port/;
  for (const [value, why] of [
    ["ssh://me@host", /the ssh:\/\/ scheme is not supported/],
    ["npipe:////./pipe/docker_engine", /the npipe:\/\/ scheme is not supported/],
    ["/var/run/docker.sock", /no scheme/],
    ["unix://docker.sock", /the socket path must be absolute/],
    ["tcp://host:2375/path", /not a host:port/],
    ["tcp://host:99999", /not a host:port/],
  ] as const) {
    assert.throws(
      () => parseDockerHost(value),
      (error: Error) =>
        error instanceof DockerHostError && why.test(error.message) && valid.test(error.message),
      value,
    );
  }
});

test("engineAddressFromEnv: DOCKER_TLS_VERIFY with a tcp address is refused (berth speaks no TLS)", () => {
  assert.throws(
    () => engineAddressFromEnv({ DOCKER_HOST: "tcp://10.0.0.2:2376", DOCKER_TLS_VERIFY: "1" }),
    /DOCKER_TLS_VERIFY is set/,
  );
  assert.deepEqual(engineAddressFromEnv({ DOCKER_HOST: "tcp://10.0.0.2:2375" }), {
    kind: "tcp",
    host: "10.0.0.2",
    port: 2375,
  });
});

test("describeAddress writes the address back the way DOCKER_HOST does", () => {
  for (const value of ["unix:///var/run/docker.sock", "tcp://127.0.0.1:2375", "tcp://[::1]:2375"]) {
    assert.equal(describeAddress(parseDockerHost(value)), value);
  }
});
