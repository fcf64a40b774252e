import assert from "node:assert/strict";
import { test } from "node:test";
import { splitReference } from "./image-pull.js";

test("a reference is split into the name and a tag that is never empty (an empty one pulls every tag)", () => {
  assert.deepEqual(splitReference("nginx"), { name: "nginx", tag: "latest" });
  assert.deepEqual(splitReference("nginx:1.27"), { name: "nginx", tag: "1.27" });
  assert.deepEqual(splitReference("reg.local:5000/team/site"), {
    name: "reg.local:5000/team/site",
    tag: "latest",
  });
  assert.deepEqual(splitReference("reg.local:5000/team/site:v2"), {
    name: "reg.local:5000/team/site",
    tag: "v2",
  });
  assert.deepEqual(splitReference("site@sha256:abcd"), { name: "site", tag: "sha256:abcd" });
});
