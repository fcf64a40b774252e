import assert from "node:assert/strict";
import { test } from "node:test";
import { configJsonSchema } from "./json-schema.js";

// JSON Schema is untyped JSON; the tests walk into it by key.
// biome-ignore lint/suspicious/noExplicitAny: walking arbitrary JSON
type Schema = Record<string, any>;

test("the JSON Schema describes the written YAML", () => {
  const schema = configJsonSchema() as Schema;
  assert.equal(schema.type, "object");
  assert.equal(schema.additionalProperties, false);
  assert.deepEqual(Object.keys(schema.properties), ["services", "state_dir", "sites", "proxy"]);
  const service = schema.properties.services.additionalProperties as Schema;
  // command: or image: (or both): a rule berth checks itself, which JSON Schema's required cannot say.
  assert.equal(service.required, undefined);
  assert.deepEqual(service.properties.pull.enum, ["never", "missing"]);
  assert.equal(service.properties.init.default, true);
  assert.equal(service.properties.publish.default, "auto");
  assert.equal(service.additionalProperties, false);
  assert.deepEqual(service.properties.restart.enum, ["always", "on-failure", "never"]);
  assert.equal(service.properties.replicas.default, 1);
  // JSON Schema patterns have no flags: the name pattern must accept upper case by itself.
  assert.match("Web-1", new RegExp(schema.properties.services.propertyNames.pattern));
});

test("durations carry their pattern so editors can flag a bare number", () => {
  const schema = configJsonSchema() as Schema;
  const service = schema.properties.services.additionalProperties as Schema;
  const timeout = service.properties.stop.anyOf[0].properties.timeout as Schema;
  assert.equal(timeout.default, "10s");
  const text = JSON.stringify(timeout);
  assert.ok(text.includes('"pattern"'), text);
});

test("the JSON Schema is plain JSON", () => {
  const schema = configJsonSchema();
  assert.deepEqual(JSON.parse(JSON.stringify(schema)), schema);
});
