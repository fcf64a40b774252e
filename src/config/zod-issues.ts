// zod's issues, turned into PathIssues a person can act on: a failed union reports the branch
// the input was evidently aiming at (a map for `stop:` gets the map's errors, not "invalid
// input"), and each unknown key becomes its own issue, at the key, with a suggestion.
import type { z } from "zod";
import { didYouMean } from "../lib/did-you-mean.js";
import { error, type PathIssue, type PathSegment } from "./issue.js";

type ZodIssue = z.core.$ZodIssue;
type AnySchema = z.core.$ZodType;

export function fromZodIssues(issues: readonly ZodIssue[], schema: AnySchema, data: unknown): PathIssue[] {
  const out: PathIssue[] = [];
  const suggested = new Set<string>();
  for (const issue of issues) flatten(issue, [], schema, out, suggested);
  // `comand: x` is one mistake: "did you mean command?" says it all, so the "command: missing"
  // that comes with it is dropped.
  return out.filter((i) => !(suggested.has(key(i.path)) && valueAt(data, i.path) === undefined));
}

function key(path: readonly PathSegment[]): string {
  return JSON.stringify(path);
}

function valueAt(data: unknown, path: readonly PathSegment[]): unknown {
  let v = data;
  for (const seg of path) {
    if (typeof v !== "object" || v === null) return undefined;
    v = (v as Record<string, unknown>)[seg];
  }
  return v;
}

function flatten(
  issue: ZodIssue,
  prefix: PathSegment[],
  schema: AnySchema,
  out: PathIssue[],
  suggested: Set<string>,
): void {
  const path = [...prefix, ...(issue.path as PathSegment[])];
  switch (issue.code) {
    case "invalid_union": {
      // A branch that failed only because the input is not its type (not a map, not "apache")
      // was not what the user meant. If exactly one branch is left, its errors are the real ones.
      const meant = issue.errors.filter((errs) => !(errs.length === 1 && isTypeMismatch(errs[0]!)));
      if (meant.length === 1) {
        for (const inner of meant[0]!) flatten(inner, path, schema, out, suggested);
      } else {
        out.push(error(path, issue.message));
      }
      return;
    }
    case "unrecognized_keys": {
      const known = knownKeys(schema, path);
      for (const name of issue.keys) {
        const hint = didYouMean(name, known);
        if (hint) suggested.add(key([...path, hint]));
        const message = hint
          ? `unknown key; did you mean "${hint}"?`
          : `unknown key; expected one of: ${known.join(", ")}`;
        out.push(error([...path, name], message, "key"));
      }
      return;
    }
    case "invalid_key": {
      // A bad map key (a service name, an env name): the key's own check says what is wrong.
      out.push(error(path, issue.issues[0]?.message ?? issue.message, "key"));
      return;
    }
    default:
      out.push(error(path, issue.message));
  }
}

function isTypeMismatch(issue: ZodIssue): boolean {
  return issue.path.length === 0 && (issue.code === "invalid_type" || issue.code === "invalid_value");
}

/** The keys an object schema allows at `path` (the object's own path), in written order. */
export function knownKeys(schema: AnySchema, path: readonly PathSegment[]): string[] {
  const keys = new Set<string>();
  const visit = (s: AnySchema, i: number): void => {
    const def = s._zod.def as unknown as Record<string, unknown> & { type: string };
    switch (def.type) {
      case "optional":
      case "nullable":
      case "default":
        visit(def.innerType as AnySchema, i);
        return;
      case "pipe":
        visit(def.in as AnySchema, i);
        return;
      case "union":
        for (const option of def.options as AnySchema[]) visit(option, i);
        return;
      case "object": {
        const shape = def.shape as Record<string, AnySchema>;
        if (i === path.length) {
          for (const key of Object.keys(shape)) keys.add(key);
          return;
        }
        const next = shape[String(path[i])];
        if (next) visit(next, i + 1);
        return;
      }
      case "record":
        if (i < path.length) visit(def.valueType as AnySchema, i + 1);
        return;
      case "array":
        if (i < path.length && typeof path[i] === "number") visit(def.element as AnySchema, i + 1);
        return;
      default:
        return;
    }
  };
  visit(schema, 0);
  return [...keys];
}
