// The JSON Schema of berth.yaml as written, derived from the zod schema so the two cannot drift.
// Editors use it for completion and hover text (`# yaml-language-server: $schema=…`).
import { z } from "zod";
import { writtenConfigSchema } from "./schema.js";

export function configJsonSchema(): object {
  // io: "input" describes what the user writes; checks that JSON Schema cannot express
  // (signal names, cross-field rules) are left to berth itself.
  return z.toJSONSchema(writtenConfigSchema, { io: "input", unrepresentable: "any" });
}
