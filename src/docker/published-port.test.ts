import assert from "node:assert/strict";
import { test } from "node:test";
import type { ContainerInspect } from "./engine-types.js";
import { publishedPorts } from "./published-port.js";

const inspect = (ports: ContainerInspect["NetworkSettings"]["Ports"]) =>
  ({ NetworkSettings: { Ports: ports } }) as ContainerInspect;

test("publishedPorts: the engine's bindings of a port as host and number; a bare port number means tcp", () => {
  const running = inspect({
    "80/tcp": [{ HostIp: "127.0.0.1", HostPort: "32768" }],
    "53/udp": [
      { HostIp: "0.0.0.0", HostPort: "5353" },
      { HostIp: "::", HostPort: "5353" },
    ],
    "9000/tcp": null,
  });
  assert.deepEqual(publishedPorts(running, 80), [{ host: "127.0.0.1", port: 32768 }]);
  assert.deepEqual(publishedPorts(running, "80/tcp"), [{ host: "127.0.0.1", port: 32768 }]);
  assert.deepEqual(publishedPorts(running, "53/udp"), [
    { host: "0.0.0.0", port: 5353 },
    { host: "::", port: 5353 },
  ]);
  assert.deepEqual(publishedPorts(running, 9000), []);
  assert.deepEqual(publishedPorts(running, 81), []);
});

test("publishedPorts: none for a container that does not run, or a binding with no port chosen yet", () => {
  assert.deepEqual(publishedPorts(inspect(null), 80), []);
  assert.deepEqual(publishedPorts(inspect({}), 80), []);
  assert.deepEqual(publishedPorts(inspect({ "80/tcp": [{ HostIp: "", HostPort: "" }] }), 80), []);
  assert.deepEqual(publishedPorts(inspect({ "80/tcp": [{ HostIp: "", HostPort: "8080" }] }), 80), [
    { host: "0.0.0.0", port: 8080 },
  ]);
});
